"""Tables of the corpus database.

An article is stored once per distinct text (`content_hash`), whatever file it came from; an
analysis belongs to one article and one model (unique together), so re-running the same model
skips what is done and a new model adds its analyses beside the old ones. A run records who
analysed what and when. Changing these classes needs a new Alembic migration in `migrations/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


def content_hash(text: str) -> str:
    """The identity of an article's text: SHA-256 of its UTF-8 bytes, exactly as read."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RunRow(Base):
    """One `propscope batch` invocation."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    articles_seen: Mapped[int] = mapped_column(Integer, default=0)
    articles_analysed: Mapped[int] = mapped_column(Integer, default=0)
    articles_skipped: Mapped[int] = mapped_column(Integer, default=0)
    spans: Mapped[int] = mapped_column(Integer, default=0)


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(500), index=True)
    author: Mapped[str | None] = mapped_column(String(500), index=True)
    published: Mapped[dt.date | None] = mapped_column(Date, index=True)
    url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[int] = mapped_column(Integer)

    analyses: Mapped[list[AnalysisRow]] = relationship(back_populates="article")


class AnalysisRow(Base):
    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("article_id", "model_id", name="uq_analyses_article_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    model_id: Mapped[str] = mapped_column(String(200), index=True)
    score: Mapped[float] = mapped_column(Float)
    covered_share: Mapped[float] = mapped_column(Float)
    sentences: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sentence_count: Mapped[int] = mapped_column(Integer)
    flagged_sentences: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    scheme: Mapped[str] = mapped_column(String(50), server_default="semeval2020")
    genre: Mapped[str | None] = mapped_column(String(20), index=True)
    genre_probabilities: Mapped[dict[str, float] | None] = mapped_column(JSON)
    frames: Mapped[list[str] | None] = mapped_column(JSON)
    frame_scores: Mapped[dict[str, float] | None] = mapped_column(JSON)

    article: Mapped[ArticleRow] = relationship(back_populates="analyses")
    spans: Mapped[list[SpanRow]] = relationship(
        back_populates="analysis",
        cascade="all, delete-orphan",
        order_by="[SpanRow.start, SpanRow.end, SpanRow.technique]",
    )


class SpanRow(Base):
    __tablename__ = "spans"
    __table_args__ = (Index("ix_spans_analysis", "analysis_id"), Index("ix_spans_technique", "technique"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    technique: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)

    analysis: Mapped[AnalysisRow] = relationship(back_populates="spans")
