"""Descriptive statistics of an annotated corpus: what `propscope data stats` prints."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from propscope.formats.ptc import PtcCorpus
from propscope.techniques import TECHNIQUE_NAMES


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def length_summary(lengths: list[int]) -> dict[str, float]:
    """Min, quartiles, p90, max and mean of span lengths in characters."""
    if not lengths:
        return {}
    return {
        "min": min(lengths),
        "p25": _quantile(lengths, 0.25),
        "median": _quantile(lengths, 0.5),
        "mean": statistics.fmean(lengths),
        "p75": _quantile(lengths, 0.75),
        "p90": _quantile(lengths, 0.9),
        "max": max(lengths),
    }


def corpus_stats(corpus: PtcCorpus) -> dict[str, Any]:
    """Article count, spans per technique with their lengths, and the overall length distribution."""
    by_article = corpus.tc_spans()
    spans = [span for article_spans in by_article.values() for span in article_spans]
    counts = Counter(span.technique for span in spans)
    lengths_by_technique: dict[str, list[int]] = {name: [] for name in TECHNIQUE_NAMES}
    for span in spans:
        lengths_by_technique[span.technique].append(span.end - span.start)
    characters = sum(len(article.text) for article in corpus.articles.values())
    return {
        "folder": str(corpus.root),
        "articles": len(corpus.articles),
        "articles_without_spans": sum(1 for s in by_article.values() if not s),
        "characters": characters,
        "technique_spans": len(spans),
        "si_spans": sum(len(r) for r in corpus.si_spans().values()),
        "by_technique": {
            name: {
                "spans": counts[name],
                "share": counts[name] / len(spans) if spans else 0.0,
                "median_length": _quantile(lengths_by_technique[name], 0.5) if lengths_by_technique[name] else 0.0,
            }
            for name in sorted(TECHNIQUE_NAMES, key=lambda n: (-counts[n], n))
        },
        "span_length": length_summary([span.end - span.start for span in spans]),
    }
