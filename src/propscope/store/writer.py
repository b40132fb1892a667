"""Writing analyses to the database, one transaction per chunk of articles.

A chunk's articles, analyses and spans and the run's counters are committed together, so a run
killed at any moment (Ctrl-C, SIGKILL, power loss) leaves only whole analyses behind, and the
next run skips exactly those. Rows are inserted "unless already there" (ON CONFLICT DO NOTHING
on the content hash and on article + model), so two runs on one database cooperate: whichever
stores an analysis first keeps it, and the other counts it as already stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from propscope.article import Analysis, Article, Frames, Genre, SentenceFlag, Span
from propscope.store.schema import AnalysisRow, ArticleRow, Base, RunRow, SpanRow, content_hash


def word_count(text: str) -> int:
    return len(text.split())


def analysed_hashes(session: Session, hashes: Iterable[str], model_id: str) -> set[str]:
    """Which of these texts already have an analysis by `model_id`."""
    wanted = list(set(hashes))
    if not wanted:
        return set()
    query = (
        select(ArticleRow.content_hash)
        .join(AnalysisRow, AnalysisRow.article_id == ArticleRow.id)
        .where(AnalysisRow.model_id == model_id, ArticleRow.content_hash.in_(wanted))
    )
    return set(session.scalars(query))


def start_run(engine: Engine, model_id: str, settings: dict[str, Any]) -> int:
    with Session(engine) as session, session.begin():
        run = RunRow(model_id=model_id, settings=settings, started_at=_now())
        session.add(run)
        session.flush()
        return run.id


def store_chunk(engine: Engine, run_id: int, analyses: Sequence[Analysis], skipped: int) -> int:
    """Store a chunk's analyses and update the run's counters, all in one transaction; returns
    how many were stored (the rest another run stored first)."""
    stored = spans = 0
    with Session(engine) as session, session.begin():
        for analysis in analyses:
            analysis_id = _insert_new(
                session,
                AnalysisRow,
                {
                    "article_id": _article_id(session, analysis.article),
                    "run_id": run_id,
                    "model_id": analysis.model_id,
                    "score": analysis.score,
                    "covered_share": analysis.covered_share,
                    "sentences": [s.to_dict() for s in analysis.sentences],
                    "sentence_count": len(analysis.sentences),
                    "flagged_sentences": sum(s.flagged for s in analysis.sentences),
                    "created_at": _now(),
                    "scheme": analysis.scheme,
                    "genre": analysis.genre.label if analysis.genre else None,
                    "genre_probabilities": dict(analysis.genre.probabilities) if analysis.genre else None,
                    "frames": list(analysis.frames.labels) if analysis.frames else None,
                    "frame_scores": dict(analysis.frames.scores) if analysis.frames else None,
                },
                ("article_id", "model_id"),
            )
            if analysis_id is None:
                continue
            stored += 1
            spans += len(analysis.spans)
            if analysis.spans:
                session.execute(
                    insert(SpanRow),
                    [
                        {
                            "analysis_id": analysis_id,
                            "start": s.start,
                            "end": s.end,
                            "technique": s.technique,
                            "score": s.score,
                            "text": analysis.text_of(s),
                        }
                        for s in analysis.spans
                    ],
                )
        run = session.get_one(RunRow, run_id)
        run.articles_seen += len(analyses) + skipped
        run.articles_analysed += stored
        run.articles_skipped += skipped + len(analyses) - stored
        run.spans += spans
    return stored


def finish_run(engine: Engine, run_id: int) -> RunRow:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = session.get_one(RunRow, run_id)
        run.finished_at = _now()
        return run


def _article_id(session: Session, article: Article) -> int:
    """The id of the stored row for this text, created on first sight; later metadata does not
    overwrite it."""
    digest = content_hash(article.text)
    values = {
        "content_hash": digest,
        "external_id": article.id,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "published": article.published,
        "url": article.url,
        "text": article.text,
        "words": word_count(article.text),
    }
    inserted = _insert_new(session, ArticleRow, values, ("content_hash",))
    if inserted is not None:
        return inserted
    return session.scalars(select(ArticleRow.id).where(ArticleRow.content_hash == digest)).one()


def _insert_new(session: Session, table: type[Base], values: dict[str, Any], unique: tuple[str, ...]) -> int | None:
    """Insert a row unless one with the same `unique` columns exists; its id, or None."""
    dialect = session.get_bind().dialect.name
    statement = postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    query = statement.values(**values).on_conflict_do_nothing(index_elements=list(unique)).returning(table.id)  # type: ignore[attr-defined]
    found: int | None = session.execute(query).scalar()
    return found


def to_analysis(row: AnalysisRow) -> Analysis:
    """Rebuild the domain value from stored rows, for export and the highlighted view."""
    stored = row.article
    article = Article(
        id=stored.external_id,
        text=stored.text,
        title=stored.title,
        source=stored.source,
        author=stored.author,
        published=stored.published,
        url=stored.url,
    )
    return Analysis(
        article=article,
        spans=tuple(sorted(Span(s.start, s.end, s.technique, s.score) for s in row.spans)),
        sentences=tuple(SentenceFlag.from_dict(s) for s in row.sentences),
        score=row.score,
        covered_share=row.covered_share,
        model_id=row.model_id,
        scheme=row.scheme,
        genre=Genre(row.genre, row.genre_probabilities or {}) if row.genre else None,
        frames=Frames(tuple(row.frames), row.frame_scores or {}) if row.frames is not None else None,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
