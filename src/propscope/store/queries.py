"""Reading the corpus back: statistics by outlet, author, month or technique, passages, export.

Per-analysis facts and per-technique span counts come from two grouped SQL queries; grouping by
outlet, author or month then happens in Python, so the same code serves SQLite and PostgreSQL
(whose date functions differ) and every grouping uses the same definitions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from propscope import techniques
from propscope.article import Analysis
from propscope.store.schema import AnalysisRow, ArticleRow, SpanRow
from propscope.store.writer import to_analysis

UNKNOWN = "(unknown)"
GROUPINGS = ("outlet", "author", "month", "technique", "genre", "frame")


@dataclass(frozen=True)
class Filters:
    """Which analyses to look at; `model_id=None` means the model of the newest analysis."""

    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    technique: str | None = None
    model_id: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        technique: str | None = None,
        model_id: str | None = None,
    ) -> Filters:
        """Filters from strings as users type them (command line, web form); empty means unset.
        ValueError naming the field for a date that is not YYYY-MM-DD or an unknown technique."""
        if technique and not techniques.known_in_any_scheme(technique):
            raise ValueError(f"technique: {techniques.SEMEVAL2020.unknown_message(technique)}")
        return cls(
            since=_day(since, "since"),
            until=_day(until, "until"),
            source=source or None,
            technique=technique or None,
            model_id=model_id or None,
        )


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date; write YYYY-MM-DD") from None


@dataclass(frozen=True)
class GroupStats:
    """The articles of one outlet, author or month."""

    by: str
    group: str
    articles: int
    words: int
    propaganda_share: float
    mean_score: float
    spans: int
    techniques_per_1000_words: float
    top_techniques: tuple[tuple[str, int], ...]
    #: share of the group's articles of each genre, and its most frequent frames (SemEval-2023
    #: models only; empty otherwise)
    genre_shares: tuple[tuple[str, float], ...] = ()
    top_frames: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            self.by: self.group,
            "articles": self.articles,
            "words": self.words,
            "propaganda_share": self.propaganda_share,
            "mean_score": self.mean_score,
            "spans": self.spans,
            "techniques_per_1000_words": self.techniques_per_1000_words,
            "top_techniques": [{"technique": t, "spans": n} for t, n in self.top_techniques],
            "genre_shares": {genre: share for genre, share in self.genre_shares},
            "top_frames": [{"frame": f, "articles": n} for f, n in self.top_frames],
        }


@dataclass(frozen=True)
class TechniqueStats:
    """One technique over the whole selection."""

    technique: str
    spans: int
    articles: int
    share_of_spans: float
    per_1000_words: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    """One of the highest-scored spans, with the article it comes from."""

    passage: str
    technique: str
    score: float
    article: str
    source: str
    article_id: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


StatsRow = GroupStats | TechniqueStats


@dataclass(frozen=True)
class Fact:
    """One analysed article, as the statistics need it."""

    analysis_id: int
    article_id: int
    title: str
    source: str
    author: str
    published: dt.date | None
    words: int
    score: float
    sentences: int
    flagged: int
    techniques: Counter[str]
    genre: str | None = None
    frames: tuple[str, ...] = ()


def newest_model_id(session: Session) -> str | None:
    return session.scalars(select(AnalysisRow.model_id).order_by(AnalysisRow.created_at.desc()).limit(1)).first()


def _filtered(query: Any, session: Session, filters: Filters) -> Any:
    """`query` (a Select over analyses joined to articles) narrowed to `filters`."""
    model_id = filters.model_id or newest_model_id(session)
    query = query.where(AnalysisRow.model_id == model_id)
    if filters.since:
        query = query.where(ArticleRow.published >= filters.since)
    if filters.until:
        query = query.where(ArticleRow.published <= filters.until)
    if filters.source:
        query = query.where(ArticleRow.source == filters.source)
    if filters.technique:
        with_technique = select(SpanRow.analysis_id).where(SpanRow.technique == filters.technique)
        query = query.where(AnalysisRow.id.in_(with_technique))
    return query


def facts(session: Session, filters: Filters) -> list[Fact]:
    filters = replace(filters, model_id=filters.model_id or newest_model_id(session))  # looked up once
    base = select(
        AnalysisRow.id,
        ArticleRow.id,
        ArticleRow.title,
        ArticleRow.external_id,
        ArticleRow.source,
        ArticleRow.author,
        ArticleRow.published,
        ArticleRow.words,
        AnalysisRow.score,
        AnalysisRow.sentence_count,
        AnalysisRow.flagged_sentences,
        AnalysisRow.genre,
        AnalysisRow.frames,
    ).join(ArticleRow, AnalysisRow.article_id == ArticleRow.id)
    rows = [tuple(row) for row in session.execute(_filtered(base, session, filters).order_by(AnalysisRow.id))]
    ids = select(AnalysisRow.id).join(ArticleRow, AnalysisRow.article_id == ArticleRow.id)
    counts_query = (
        select(SpanRow.analysis_id, SpanRow.technique, func.count())
        .where(SpanRow.analysis_id.in_(_filtered(ids, session, filters)))
        .group_by(SpanRow.analysis_id, SpanRow.technique)
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for analysis_id, technique, count in session.execute(counts_query):
        counts[analysis_id][technique] = count
    return [
        Fact(
            analysis_id=row[0],
            article_id=row[1],
            title=row[2] or row[3],
            source=row[4] or UNKNOWN,
            author=row[5] or UNKNOWN,
            published=row[6],
            words=row[7],
            score=row[8],
            sentences=row[9],
            flagged=row[10],
            techniques=counts[row[0]],
            genre=row[11],
            frames=tuple(row[12] or ()),
        )
        for row in rows
    ]


def group_keys(fact: Fact, by: str) -> tuple[str, ...]:
    """The groups an article belongs to: one, except by frame (an article may use several)."""
    if by == "outlet":
        return (fact.source,)
    if by == "author":
        return (fact.author,)
    if by == "month":
        return (fact.published.strftime("%Y-%m") if fact.published else "(undated)",)
    if by == "genre":
        return (fact.genre or UNKNOWN,)
    if by == "frame":
        return fact.frames or ("(no frame)",)
    raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}")


def statistics(all_facts: list[Fact], by: str) -> list[StatsRow]:
    """One row per group, most articles first (months in time order); per technique for
    `by="technique"`."""
    if by == "technique":
        return list(technique_statistics(all_facts))
    return list(group_statistics(all_facts, by))


def group_statistics(all_facts: list[Fact], by: str) -> list[GroupStats]:
    groups: dict[str, list[Fact]] = defaultdict(list)
    for fact in all_facts:
        for key in group_keys(fact, by):
            groups[key].append(fact)
    rows = [_group_row(by, name, members) for name, members in groups.items()]
    if by == "month":
        return sorted(rows, key=lambda row: row.group)
    return sorted(rows, key=lambda row: (-row.articles, row.group))


def _group_row(by: str, name: str, members: list[Fact]) -> GroupStats:
    words = sum(f.words for f in members)
    sentences = sum(f.sentences for f in members)
    counts: Counter[str] = Counter()
    for fact in members:
        counts.update(fact.techniques)
    spans = sum(counts.values())
    genres = Counter(f.genre for f in members if f.genre)
    frames = Counter(frame for f in members for frame in f.frames)
    return GroupStats(
        by=by,
        group=name,
        articles=len(members),
        words=words,
        propaganda_share=round(sum(f.flagged for f in members) / sentences, 4) if sentences else 0.0,
        mean_score=round(sum(f.score for f in members) / len(members), 4),
        spans=spans,
        techniques_per_1000_words=round(1000 * spans / words, 2) if words else 0.0,
        top_techniques=tuple(counts.most_common(3)),
        genre_shares=tuple((g, round(genres[g] / len(members), 4)) for g in techniques.GENRES if genres)
        if genres
        else (),
        top_frames=tuple(frames.most_common(3)),
    )


def technique_statistics(all_facts: list[Fact]) -> list[TechniqueStats]:
    words = sum(f.words for f in all_facts)
    totals: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    for fact in all_facts:
        totals.update(fact.techniques)
        articles.update(set(fact.techniques))
    spans = sum(totals.values())
    return [
        TechniqueStats(
            technique=technique,
            spans=count,
            articles=articles[technique],
            share_of_spans=round(count / spans, 4),
            per_1000_words=round(1000 * count / words, 2) if words else 0.0,
        )
        for technique, count in totals.most_common()
    ]


def top_passages(session: Session, filters: Filters, limit: int = 10) -> list[Passage]:
    """The highest-scored spans, with where they come from."""
    query = (
        select(
            SpanRow.text,
            SpanRow.technique,
            SpanRow.score,
            ArticleRow.title,
            ArticleRow.external_id,
            ArticleRow.source,
            ArticleRow.id,
        )
        .join(AnalysisRow, SpanRow.analysis_id == AnalysisRow.id)
        .join(ArticleRow, AnalysisRow.article_id == ArticleRow.id)
    )
    if filters.technique:
        query = query.where(SpanRow.technique == filters.technique)
    query = _filtered(query, session, filters).order_by(SpanRow.score.desc(), SpanRow.id).limit(limit)
    return [
        Passage(text, technique, score, title or external_id, source or UNKNOWN, article_id)
        for text, technique, score, title, external_id, source, article_id in session.execute(query)
    ]


def stored_analyses(session: Session, filters: Filters) -> Iterator[Analysis]:
    """Every stored analysis matching `filters`, rebuilt as domain values, in storage order."""
    query = (
        select(AnalysisRow)
        .join(ArticleRow, AnalysisRow.article_id == ArticleRow.id)
        .options(selectinload(AnalysisRow.spans), selectinload(AnalysisRow.article))
        .order_by(AnalysisRow.id)
    )
    for row in session.scalars(_filtered(query, session, filters)).yield_per(200):
        yield to_analysis(row)


def article_analysis(session: Session, article_id: int, model_id: str | None = None) -> Analysis | None:
    """The analysis of one stored article (by the given or newest model), for its highlighted view."""
    query = select(AnalysisRow).where(AnalysisRow.article_id == article_id)
    query = query.where(AnalysisRow.model_id == (model_id or newest_model_id(session)))
    row = session.scalars(query).first()
    return to_analysis(row) if row else None
