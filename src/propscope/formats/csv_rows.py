"""CSV: one row per span (export) and one row per statistics group, for spreadsheets and pandas.

Values are flattened only here, at the edge: a list of top techniques becomes one
"name (count); name (count)" cell, a date its ISO form.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from propscope.article import Analysis

if TYPE_CHECKING:
    from propscope.store.queries import StatsRow

SPAN_FIELDS = (
    "article_id",
    "title",
    "source",
    "published",
    "scheme",
    "genre",
    "frames",
    "technique",
    "start",
    "end",
    "score",
    "text",
)


def span_rows(analyses: Iterable[Analysis]) -> Iterable[dict[str, Any]]:
    """One row per span with the article's identity (and genre and frames, where the model
    gives them, as `frame;frame`), the span and its passage."""
    for analysis in analyses:
        article = analysis.article
        for span in analysis.spans:
            yield {
                "article_id": article.id,
                "title": article.title,
                "source": article.source,
                "published": article.published.isoformat() if article.published else "",
                "scheme": analysis.scheme,
                "genre": analysis.genre.label if analysis.genre else "",
                "frames": ";".join(analysis.frames.labels) if analysis.frames else "",
                "technique": span.technique,
                "start": span.start,
                "end": span.end,
                "score": span.score,
                "text": analysis.text_of(span),
            }


def stats_csv_row(row: StatsRow) -> dict[str, Any]:
    """A statistics row with its lists as one cell each: 'name (count); ...' for the top
    techniques and frames, 'genre share; ...' for the genre mix."""
    data = row.to_dict()
    if "top_techniques" in data:
        data["top_techniques"] = "; ".join(f"{t['technique']} ({t['spans']})" for t in data["top_techniques"])
    if "top_frames" in data:
        data["top_frames"] = "; ".join(f"{f['frame']} ({f['articles']})" for f in data["top_frames"])
    if "genre_shares" in data:
        data["genre_shares"] = "; ".join(f"{genre} {share:.0%}" for genre, share in data["genre_shares"].items())
    return data


def to_csv(rows: Iterable[dict[str, Any]], fields: Sequence[str] | None = None) -> str:
    """The rows as CSV text with a header (nothing at all for no rows and no fields)."""
    listed = list(rows)
    columns = list(fields) if fields is not None else (list(listed[0]) if listed else [])
    if not columns:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(listed)
    return buffer.getvalue()
