"""The domain values every part of propscope shares: Article, Span, SentenceFlag, Analysis.

They are small immutable dataclasses. Offsets are code-point offsets into `Article.text`
exactly as it was read, so a span can be written in the PTC format and scored against gold
without conversion; construction validates them, so an invalid value never travels further.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from propscope import techniques


@dataclass(frozen=True)
class Article:
    """A news text and what is known about where it came from."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    author: str | None = None
    published: dt.date | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an article needs a non-empty id")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "published": self.published.isoformat() if self.published else None,
            "url": self.url,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """Build from JSON fields; `outlet` is accepted as another name for `source`."""
        published = data.get("published") or data.get("date")
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            title=data.get("title"),
            source=data.get("source") or data.get("outlet"),
            author=data.get("author"),
            published=dt.date.fromisoformat(str(published)[:10]) if published else None,
            url=data.get("url"),
        )


@dataclass(frozen=True, order=True)
class Span:
    """A passage of an article that uses one technique: [start, end) in code points."""

    start: int
    end: int
    technique: str
    score: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"span offsets must satisfy 0 <= start < end, got {self.start}-{self.end}")
        if not techniques.is_known(self.technique):
            techniques.get(self.technique)  # raises with the list of valid names
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"span score must be in [0, 1], got {self.score}")

    def text_in(self, article: Article) -> str:
        return article.text[self.start : self.end]

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "technique": self.technique, "score": self.score}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        return cls(int(data["start"]), int(data["end"]), str(data["technique"]), float(data.get("score", 1.0)))


def check_spans_fit(spans: Iterable[Span], text: str) -> None:
    """Raise ValueError for the first span that reaches past the end of `text`."""
    for span in spans:
        if span.end > len(text):
            raise ValueError(f"span {span.start}-{span.end} ends after the article's {len(text)} characters")


@dataclass(frozen=True)
class SentenceFlag:
    """One sentence of the article and whether any technique was found in it."""

    start: int
    end: int
    flagged: bool
    score: float
    techniques: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "flagged": self.flagged,
            "score": self.score,
            "techniques": list(self.techniques),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SentenceFlag:
        return cls(
            int(data["start"]),
            int(data["end"]),
            bool(data["flagged"]),
            float(data["score"]),
            tuple(data.get("techniques", ())),
        )


@dataclass(frozen=True)
class Analysis:
    """Everything propscope says about one article; every output is rendered from this value.

    `score` is the article-level propaganda score in [0, 1]; `covered_share` is the share of the
    article's characters that lie inside at least one span.
    """

    article: Article
    spans: tuple[Span, ...]
    sentences: tuple[SentenceFlag, ...] = ()
    score: float = 0.0
    covered_share: float = 0.0
    model_id: str = "gold"

    def __post_init__(self) -> None:
        check_spans_fit(self.spans, self.article.text)
        for sentence in self.sentences:
            if not 0 <= sentence.start <= sentence.end <= len(self.article.text):
                raise ValueError(f"sentence {sentence.start}-{sentence.end} lies outside the article")

    def to_dict(self) -> dict[str, Any]:
        return {
            "article": self.article.to_dict(),
            "model_id": self.model_id,
            "score": self.score,
            "covered_share": self.covered_share,
            "spans": [s.to_dict() | {"text": s.text_in(self.article)} for s in self.spans],
            "sentences": [s.to_dict() for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        return cls(
            article=Article.from_dict(data["article"]),
            spans=tuple(Span.from_dict(s) for s in data.get("spans", ())),
            sentences=tuple(SentenceFlag.from_dict(s) for s in data.get("sentences", ())),
            score=float(data.get("score", 0.0)),
            covered_share=float(data.get("covered_share", 0.0)),
            model_id=str(data.get("model_id", "unknown")),
        )


def covered_share(spans: Iterable[Span], text_length: int) -> float:
    """Share of characters inside at least one span: overlapping spans count once."""
    if text_length == 0:
        return 0.0
    covered = 0
    reach = 0
    for span in sorted(spans):
        start = max(span.start, reach)
        if span.end > start:
            covered += span.end - start
            reach = span.end
    return covered / text_length
