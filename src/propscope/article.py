"""The domain values every part of propscope shares: Article, Span, SentenceFlag, Analysis.

They are small immutable dataclasses. Offsets are code-point offsets into `Article.text`
exactly as it was read, so a span can be written in the PTC format and scored against gold
without conversion; construction validates them, so an invalid value never travels further
and a mistake is reported where it is made, as a TypeError or ValueError that says what to do.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from propscope import techniques

if TYPE_CHECKING:
    import pandas as pd


_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """`text` with each lone surrogate (which no UTF-8 file, JSON writer or tokenizer accepts)
    replaced by U+FFFD: one code point for one, so every offset into the text stays valid."""
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class Article:
    """A news text and what is known about where it came from.

    Attributes
    ----------
    id : str
        The caller's id (file name without suffix, record id, or "text-" plus a hash).
    text : str
        The text exactly as read; every offset points into it. Lone surrogates, which no
        encoder accepts, become U+FFFD (one code point for one, so offsets stay valid).
    title, source, author, url : str or None
        Metadata; `source` is the outlet.
    published : datetime.date or None
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    author: str | None = None
    published: dt.date | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"an article needs a non-empty string id, got {self.id!r}")
        if not isinstance(self.text, str):
            raise TypeError(f"an article's text must be a str, got {type(self.text).__name__}")
        for name in ("title", "source", "author", "url"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"an article's {name} must be a str or None, got {type(value).__name__}")
        for name in ("id", "text", "title", "source", "author", "url"):
            value = getattr(self, name)
            if value is not None and _SURROGATE.search(value):
                object.__setattr__(self, name, replace_surrogates(value))
        if self.published is not None and not isinstance(self.published, dt.date):
            raise TypeError(f"an article's published date must be a datetime.date, got {type(self.published).__name__}")

    def __repr__(self) -> str:
        title = f", title={self.title!r}" if self.title else ""
        return f"Article(id={self.id!r}{title}, {len(self.text):,} characters)"

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
    """A passage of an article that uses one technique.

    Attributes
    ----------
    start, end : int
        Code-point offsets into the article text, end exclusive.
    technique : str
        A technique's label name (of either scheme; see `propscope.techniques`).
    score : float
        In [0, 1]; for a calibrated model, the probability that annotators marked a
        propaganda passage here.
    """

    start: int
    end: int
    technique: str
    score: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.start, int) or not isinstance(self.end, int):
            raise TypeError(f"span offsets must be ints, got {self.start!r} and {self.end!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"span offsets must satisfy 0 <= start < end, got {self.start}-{self.end}")
        if not techniques.known_in_any_scheme(self.technique):
            raise ValueError(techniques.SEMEVAL2020.unknown_message(self.technique))
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"span score must be in [0, 1], got {self.score}")

    def text_in(self, article: Article) -> str:
        """The passage itself (offsets are into `article.text`)."""
        return article.text[self.start : self.end]

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "technique": self.technique, "score": self.score}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Span:
        return cls(int(data["start"]), int(data["end"]), str(data["technique"]), float(data.get("score", 1.0)))


def best_match(start: int, end: int, spans: Iterable[Span]) -> Span | None:
    """The span whose extent best matches start-end (shared characters over the characters
    either covers), the first of them on a tie; None when none overlaps. It is the gold span a
    found passage stands for: a passage inside both a long appeal to fear and the label it
    contains stands for the label, though it shares as many characters with both."""

    def match(span: Span) -> float:
        return (min(end, span.end) - max(start, span.start)) / (max(end, span.end) - min(start, span.start))

    return max((span for span in spans if span.overlaps(start, end)), key=match, default=None)


def check_spans_fit(spans: Iterable[Span], text: str) -> None:
    """Raise ValueError for the first span that reaches past the end of `text`."""
    for span in spans:
        if span.end > len(text):
            raise ValueError(f"span {span.start}-{span.end} ends after the article's {len(text)} characters")


@dataclass(frozen=True)
class SentenceFlag:
    """One sentence of the article and whether any technique was found in it.

    Attributes
    ----------
    start, end : int
        The sentence's offsets.
    flagged : bool
        True when a reported span overlaps it.
    score : float
        The probability that it contains a technique (calibrated models).
    techniques : tuple of str
        The techniques of the spans overlapping it.
    """

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
class Genre:
    """An article's genre (SemEval-2023 subtask 1) and the probability of each genre.

    Attributes
    ----------
    label : str
        "opinion", "reporting" or "satire".
    probabilities : mapping of str to float
    """

    label: str
    probabilities: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label not in techniques.GENRES:
            raise ValueError(f"unknown genre {self.label!r}; expected one of: {', '.join(techniques.GENRES)}")

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "probabilities": dict(self.probabilities)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Genre:
        return cls(str(data["label"]), {str(k): float(v) for k, v in data.get("probabilities", {}).items()})


@dataclass(frozen=True)
class Frames:
    """The frames an article uses (SemEval-2023 subtask 2) and a score for every frame.

    Attributes
    ----------
    labels : tuple of str
        The frames above the model's threshold, strongest first (names as in `propscope.techniques.FRAMES`).
    scores : mapping of str to float
        A score in [0, 1] for every frame.
    """

    labels: tuple[str, ...]
    scores: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label in (*self.labels, *self.scores):
            if label not in techniques.FRAMES:
                raise ValueError(f"unknown frame {label!r}; expected one of: {', '.join(techniques.FRAMES)}")

    def to_dict(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "scores": dict(self.scores)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Frames:
        return cls(
            tuple(str(v) for v in data.get("labels", ())),
            {str(k): float(v) for k, v in data.get("scores", {}).items()},
        )


@dataclass(frozen=True)
class Analysis:
    """Everything propscope says about one article; every output is rendered from this value.

    Attributes
    ----------
    article : Article
    spans : tuple of Span
        Sorted by offset; one range may carry two techniques.
    sentences : tuple of SentenceFlag
    score : float
        The article-level propaganda score in [0, 1]; for a calibrated model, the expected
        share of its sentences that contain a technique.
    covered_share : float
        The share of the article's characters inside at least one span.
    model_id : str
    scheme : str
        The taxonomy of the spans' techniques: "semeval2020" or "semeval2023".
    genre : Genre or None
    frames : Frames or None
        Set by models that predict them (SemEval-2023).

    Examples
    --------
    >>> analysis = Analysis(Article("a", "They lied."), (Span(5, 9, "Doubt", 0.7),))
    >>> [analysis.text_of(span) for span in analysis.spans]
    ['lied']
    """

    article: Article
    spans: tuple[Span, ...]
    sentences: tuple[SentenceFlag, ...] = ()
    score: float = 0.0
    covered_share: float = 0.0
    model_id: str = "gold"
    scheme: str = techniques.DEFAULT_SCHEME
    genre: Genre | None = None
    frames: Frames | None = None

    def __post_init__(self) -> None:
        check_spans_fit(self.spans, self.article.text)
        taxonomy = techniques.scheme(self.scheme)
        for span in self.spans:
            if not taxonomy.is_known(span.technique):
                raise ValueError(taxonomy.unknown_message(span.technique))
        for sentence in self.sentences:
            if not 0 <= sentence.start <= sentence.end <= len(self.article.text):
                raise ValueError(f"sentence {sentence.start}-{sentence.end} lies outside the article")

    def __repr__(self) -> str:
        return (
            f"Analysis(article={self.article.id!r}, {len(self.spans)} spans, score={self.score:.2f}, "
            f"model={self.model_id!r})"
        )

    def restricted(self, *, threshold: float | None = None, techniques: Iterable[str] | None = None) -> Analysis:
        """The analysis showing only spans scoring at least `threshold` and of `techniques`,
        with sentence flags and the covered share made from those spans (the article score,
        which does not depend on spans, stays). Filters saved analyses; it cannot add spans."""
        wanted = frozenset(techniques) if techniques is not None else None
        kept = tuple(
            s
            for s in self.spans
            if (threshold is None or s.score >= threshold) and (wanted is None or s.technique in wanted)
        )
        sentences = tuple(
            replace(
                sentence,
                flagged=bool(names := {s.technique for s in kept if s.overlaps(sentence.start, sentence.end)}),
                techniques=tuple(sorted(names)),
            )
            for sentence in self.sentences
        )
        return replace(
            self,
            spans=kept,
            sentences=sentences,
            covered_share=round(covered_share(kept, len(self.article.text)), 4),
        )

    def text_of(self, span: Span) -> str:
        """The passage a span marks in this analysis' article."""
        return span.text_in(self.article)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "article": self.article.to_dict(),
            "model_id": self.model_id,
            "scheme": self.scheme,
            "score": self.score,
            "covered_share": self.covered_share,
            "spans": [s.to_dict() | {"text": s.text_in(self.article)} for s in self.spans],
            "sentences": [s.to_dict() for s in self.sentences],
        }
        data["genre"] = self.genre.to_dict() if self.genre is not None else None
        data["frames"] = self.frames.to_dict() if self.frames is not None else None
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """The analysis as JSON text, as `propscope analyze --format json` writes each one."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        return cls(
            article=Article.from_dict(data["article"]),
            spans=tuple(Span.from_dict(s) for s in data.get("spans", ())),
            sentences=tuple(SentenceFlag.from_dict(s) for s in data.get("sentences", ())),
            score=float(data.get("score", 0.0)),
            covered_share=float(data.get("covered_share", 0.0)),
            model_id=str(data.get("model_id", "unknown")),
            scheme=str(data.get("scheme", techniques.DEFAULT_SCHEME)),
            genre=Genre.from_dict(data["genre"]) if data.get("genre") else None,
            frames=Frames.from_dict(data["frames"]) if data.get("frames") else None,
        )

    def spans_frame(self) -> pd.DataFrame:
        """One row per span (pandas; `pip install 'propscope[pandas]'`)."""
        from propscope.frames import spans_frame

        return spans_frame([self])

    def _repr_html_(self) -> str:
        """The highlighted report, for Jupyter and other notebooks."""
        from propscope.report.notebook import notebook_html

        return notebook_html([self])


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
