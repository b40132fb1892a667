"""How much data a model was trained and selected on, for its model card.

A technique's F1 means little without the number of examples behind it, so the counts are
kept per technique; `ship` reads them again from the folders a run names, so a model trained
before the counts existed gets them too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus


def corpus_counts(corpus: PtcCorpus) -> dict[str, Any]:
    """How much data a split held, for the model card (a --limit-articles run holds less): a
    technique's F1 means little without the number of examples behind it."""
    spans = [span for article in corpus.tc_spans().values() for span in article]
    return {
        "articles": len(corpus.articles),
        "spans": len(spans),
        "per_technique": dict(Counter(span.technique for span in spans)),
    }


def folder_counts(folder: Path, scheme: str, split: str, limit: int | None = None) -> dict[str, Any]:
    """The counts of one split of an annotated folder, as `corpus_counts` gives them."""
    return corpus_counts(span_corpus(folder, scheme, split).first(limit))
