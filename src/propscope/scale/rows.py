"""Between `Analysis` values and the rows of the Parquet tables a Ray run writes.

The articles table holds one row per article with its spans as a nested list, so one file
carries everything a later load needs; the spans table is the same spans flattened, for
querying with any Parquet tool.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from propscope.article import Analysis
from propscope.scale.shards import ARTICLES
from propscope.store.schema import content_hash

SPANS = pa.schema(
    [
        ("shard", pa.string()),
        ("id", pa.string()),
        ("content_hash", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("technique", pa.string()),
        ("score", pa.float64()),
        ("text", pa.string()),
    ]
)


def analyses_table(analyses: Sequence[Analysis], shards: Sequence[str]) -> pa.Table:
    rows = []
    for analysis, shard in zip(analyses, shards, strict=True):
        stored = analysis.to_dict()
        rows.append(
            {
                "shard": shard,
                **stored["article"],
                "content_hash": content_hash(analysis.article.text),
                "model_id": analysis.model_id,
                "scheme": analysis.scheme,
                "genre": analysis.genre.label if analysis.genre else None,
                "genre_probabilities": json.dumps(dict(analysis.genre.probabilities)) if analysis.genre else None,
                "frames": list(analysis.frames.labels) if analysis.frames else None,
                "frame_scores": json.dumps(dict(analysis.frames.scores)) if analysis.frames else None,
                "score": analysis.score,
                "covered_share": analysis.covered_share,
                "sentences": json.dumps(stored["sentences"]),
                "spans": stored["spans"],
            }
        )
    return pa.Table.from_pylist(rows, schema=ARTICLES)


def spans_table(articles: pa.Table) -> pa.Table:
    """The spans of an articles table, one row each."""
    rows = [
        {"shard": row["shard"], "id": row["id"], "content_hash": row["content_hash"], **span}
        for row in articles.select(["shard", "id", "content_hash", "spans"]).to_pylist()
        for span in row["spans"]
    ]
    return pa.Table.from_pylist(rows, schema=SPANS)


def analysis_from_row(row: dict[str, Any]) -> Analysis:
    return Analysis.from_dict(
        {
            "article": row,
            "spans": row["spans"],
            "sentences": json.loads(row["sentences"]),
            "score": row["score"],
            "covered_share": row["covered_share"],
            "model_id": row["model_id"],
            "scheme": row.get("scheme") or "semeval2020",
            "genre": {"label": row["genre"], "probabilities": json.loads(row["genre_probabilities"] or "{}")}
            if row.get("genre")
            else None,
            "frames": {"labels": row["frames"], "scores": json.loads(row["frame_scores"] or "{}")}
            if row.get("frames") is not None
            else None,
        }
    )
