"""Descriptive statistics of an annotated corpus: what `propscope data stats` prints."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from propscope.formats.ptc import PtcCorpus
from propscope.techniques import TECHNIQUE_NAMES


@dataclass(frozen=True)
class TechniqueCount:
    technique: str
    spans: int
    share: float
    median_length: float


@dataclass(frozen=True)
class CorpusStats:
    """Article count, spans per technique with their lengths, and the length distribution."""

    folder: str
    articles: int
    articles_without_spans: int
    characters: int
    technique_spans: int
    si_spans: int
    by_technique: tuple[TechniqueCount, ...]
    span_length: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `propscope data stats --format json`."""
        return {
            "folder": self.folder,
            "articles": self.articles,
            "articles_without_spans": self.articles_without_spans,
            "characters": self.characters,
            "technique_spans": self.technique_spans,
            "si_spans": self.si_spans,
            "by_technique": {
                row.technique: {"spans": row.spans, "share": row.share, "median_length": row.median_length}
                for row in self.by_technique
            },
            "span_length": dict(self.span_length),
        }


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


def corpus_stats(corpus: PtcCorpus) -> CorpusStats:
    by_article = corpus.tc_spans()
    spans = [span for article_spans in by_article.values() for span in article_spans]
    counts = Counter(span.technique for span in spans)
    lengths_by_technique: dict[str, list[int]] = {name: [] for name in TECHNIQUE_NAMES}
    for span in spans:
        lengths_by_technique[span.technique].append(span.end - span.start)
    return CorpusStats(
        folder=str(corpus.root),
        articles=len(corpus.articles),
        articles_without_spans=sum(1 for s in by_article.values() if not s),
        characters=sum(len(article.text) for article in corpus.articles.values()),
        technique_spans=len(spans),
        si_spans=sum(len(r) for r in corpus.si_spans().values()),
        by_technique=tuple(
            TechniqueCount(
                technique=name,
                spans=counts[name],
                share=counts[name] / len(spans) if spans else 0.0,
                median_length=_quantile(lengths_by_technique[name], 0.5) if lengths_by_technique[name] else 0.0,
            )
            for name in sorted(TECHNIQUE_NAMES, key=lambda n: (-counts[n], n))
        ),
        span_length=length_summary([span.end - span.start for span in spans]),
    )


def repetition_by_occurrences(corpus: PtcCorpus, last: int = 5) -> dict[int, tuple[int, int]]:
    """{how often a gold span's phrase occurs in its article as whole words: (distinct gold
    spans, of them Repetition)}, counts of `last` or more together: the evidence behind
    `detect.predict.REPETITION_OCCURRENCES`."""
    from propscope.detect.features import occurrences
    from propscope.detect.predict import REPETITION

    spans: Counter[int] = Counter()
    repeated: Counter[int] = Counter()
    for article_id, gold in corpus.tc_spans().items():
        lowered = corpus.articles[article_id].text.lower()
        for span in set(gold):
            count = min(last, occurrences(lowered, span.start, span.end, whole_words=True))
            spans[count] += 1
            repeated[count] += span.technique == REPETITION
    return {count: (spans[count], repeated[count]) for count in sorted(spans)}


def repetition_majority(rows: dict[int, tuple[int, int]]) -> int:
    """The fewest occurrences from which Repetition is the label of most gold spans."""
    return min(count for count, (spans, repetition) in rows.items() if repetition / spans > 0.5)
