"""Writing analyses to the database, one transaction per chunk of articles.

A chunk's articles, analyses and spans and the run's counters are committed together, so a run
killed at any moment (Ctrl-C, SIGKILL, power loss) leaves only whole analyses behind, and the
next run skips exactly those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from propscope.article import Analysis, Article, SentenceFlag, Span
from propscope.store.schema import AnalysisRow, ArticleRow, RunRow, SpanRow, content_hash


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


def store_chunk(engine: Engine, run_id: int, analyses: Sequence[Analysis], skipped: int) -> None:
    """Store a chunk's analyses and update the run's counters, all in one transaction."""
    with Session(engine) as session, session.begin():
        for analysis in analyses:
            article = _article_row(session, analysis.article)
            session.add(
                AnalysisRow(
                    article=article,
                    run_id=run_id,
                    model_id=analysis.model_id,
                    score=analysis.score,
                    covered_share=analysis.covered_share,
                    sentences=[s.to_dict() for s in analysis.sentences],
                    sentence_count=len(analysis.sentences),
                    flagged_sentences=sum(s.flagged for s in analysis.sentences),
                    created_at=_now(),
                    spans=[
                        SpanRow(
                            start=s.start,
                            end=s.end,
                            technique=s.technique,
                            score=s.score,
                            text=s.text_in(analysis.article),
                        )
                        for s in analysis.spans
                    ],
                )
            )
        run = session.get_one(RunRow, run_id)
        run.articles_seen += len(analyses) + skipped
        run.articles_analysed += len(analyses)
        run.articles_skipped += skipped
        run.spans += sum(len(a.spans) for a in analyses)


def finish_run(engine: Engine, run_id: int) -> RunRow:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = session.get_one(RunRow, run_id)
        run.finished_at = _now()
        return run


def _article_row(session: Session, article: Article) -> ArticleRow:
    """The stored row for this text, created on first sight; later metadata does not overwrite it."""
    digest = content_hash(article.text)
    row = session.scalars(select(ArticleRow).where(ArticleRow.content_hash == digest)).first()
    if row is None:
        row = ArticleRow(
            content_hash=digest,
            external_id=article.id,
            title=article.title,
            source=article.source,
            author=article.author,
            published=article.published,
            url=article.url,
            text=article.text,
            words=word_count(article.text),
        )
        session.add(row)
    return row


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
        spans=tuple(Span(s.start, s.end, s.technique, s.score) for s in row.spans),
        sentences=tuple(SentenceFlag.from_dict(s) for s in row.sentences),
        score=row.score,
        covered_share=row.covered_share,
        model_id=row.model_id,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
