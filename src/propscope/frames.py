"""pandas views of analyses and corpus statistics, for notebooks and pipelines.

pandas is an optional extra (`pip install 'propscope[pandas]'`), imported only when a frame is
asked for, so `import propscope` stays light.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from propscope.article import Analysis

if TYPE_CHECKING:
    import pandas as pd

SPAN_COLUMNS = ("article_id", "technique", "start", "end", "text", "score", "sentence")
ARTICLE_COLUMNS = (
    "article_id",
    "title",
    "source",
    "author",
    "published",
    "url",
    "model_id",
    "scheme",
    "score",
    "covered_share",
    "sentences",
    "flagged_sentences",
    "spans",
    "genre",
    "frames",
)


def _pandas() -> Any:
    try:
        import pandas
    except ModuleNotFoundError:
        raise ModuleNotFoundError("data frames need pandas: pip install 'propscope[pandas]'") from None
    return pandas


def spans_frame(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One row per span: article id, technique, start, end, text, score, and the index of the
    sentence the span starts in (-1 when it starts between sentences)."""
    rows = []
    for analysis in analyses:
        starts = [sentence.start for sentence in analysis.sentences]
        for span in analysis.spans:
            index = bisect.bisect_right(starts, span.start) - 1
            inside = index >= 0 and span.start < analysis.sentences[index].end
            rows.append(
                (
                    analysis.article.id,
                    span.technique,
                    span.start,
                    span.end,
                    analysis.text_of(span),
                    span.score,
                    index if inside else -1,
                )
            )
    frame: pd.DataFrame = _pandas().DataFrame(rows, columns=list(SPAN_COLUMNS))
    return frame


def articles_frame(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One row per analysed article with its metadata and figures."""
    rows = []
    for analysis in analyses:
        article = analysis.article
        rows.append(
            (
                article.id,
                article.title,
                article.source,
                article.author,
                article.published,
                article.url,
                analysis.model_id,
                analysis.scheme,
                analysis.score,
                analysis.covered_share,
                len(analysis.sentences),
                sum(s.flagged for s in analysis.sentences),
                len(analysis.spans),
                analysis.genre.label if analysis.genre else None,
                ",".join(analysis.frames.labels) if analysis.frames else None,
            )
        )
    frame: pd.DataFrame = _pandas().DataFrame(rows, columns=list(ARTICLE_COLUMNS))
    return frame


def to_frame(items: Iterable[Any]) -> pd.DataFrame:
    """A frame of analyses (one row per span, as `spans_frame`) or of typed result rows such as
    `propscope.corpus.statistics` returns (one row per value, its fields as columns)."""
    listed = list(items)
    if all(isinstance(item, Analysis) for item in listed):
        return spans_frame(listed)
    if all(is_dataclass(item) and not isinstance(item, type) for item in listed):
        frame: pd.DataFrame = _pandas().DataFrame(
            [item.to_dict() if hasattr(item, "to_dict") else asdict(item) for item in listed]
        )
        return frame
    raise TypeError("to_frame() takes analyses or result rows (dataclasses), not a mix of other values")
