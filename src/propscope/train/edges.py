"""Fitting a marked model's edge model (`detect.edges`) on passages found in unseen articles.

The examples are the candidates that taggers propose in training articles, best ones they never
saw (the folds `propscope folds` writes, as `propscope refit --check-out-of-fold` takes them),
since a tagger's edges in its own training articles could be better than in a new article. On
PTC that fear proved unfounded: the shipped tagger's own training articles teach moves that
score the same on dev (`docs/BENCHMARKS.md`, "After the edge model"), so without folds
`propscope edges` fits on the passages the model finds in its own training articles. Only candidates
that overlap gold and peak at `MIN_PEAK` or more teach anything: the model reports few below
it, and a false alarm has no right edges. Each is read marked by the model's own encoder.

What a move gains is measured as the official SI score counts a passage: the share of the
passage that is gold (its precision) and the share of each gold span it covers (recall).
Precision counts `PRECISION_WEIGHT` times as much, because at the shipped model's operating
point (precision 0.37, recall 0.54) a point of precision raises F1 about twice as much as a
point of recall; scored by plain character overlap (Dice), moves that widen passages won and
SI rose by half as much (`docs/BENCHMARKS.md`, "Moving passage edges"). The margin is the one
whose moves gain most in articles whose examples the regressions were not fitted on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from propscope.detect.edges import EDGE_MOVES, EDGES_FILE, EdgeModel, Move, moved_ranges
from propscope.detect.predict import candidate_passages
from propscope.detect.runtime import ModelRuntime
from propscope.detect.windows import tokenize
from propscope.errors import InputError
from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus, merge_overlapping
from propscope.train.marked_head import record_in_description, require_marked
from propscope.train.ridge import held_out_by_article, ridge_map

log = logging.getLogger("propscope.train")

PRECISION_WEIGHT = 2.0
#: Ridge penalty on standardised edge vectors (3,456 of them for MiniLM): of 3,000, 10,000 and
#: 30,000 it gained most on training articles the regressions were not fitted on; on PTC dev
#: the three move SI within 0.002 of each other (`benchmarks/edge_moves.py`)
RIDGE = 10_000.0
#: candidates peaking lower teach little: the model reports few of them
MIN_PEAK = 0.3
MARGINS = (0.0, 0.01, 0.02, 0.04, 0.08)
FOLDS = 5


@dataclass(frozen=True)
class EdgeExamples:
    """Candidates found in unseen articles: the article each comes from, its `edge_vectors`,
    and what each move it allows would gain (`values`, the unmoved range's gain 0)."""

    articles: NDArray[np.str_]
    vectors: NDArray[np.float32]
    values: list[dict[Move, float]]

    def gains(self, move: Move) -> NDArray[np.float64]:
        """Each example's gain for `move`; NaN where the move is not allowed."""
        return np.asarray([value.get(move, np.nan) for value in self.values], np.float64)

    def subset(self, keep: NDArray[np.bool_]) -> EdgeExamples:
        """The examples where `keep` is true."""
        values = [value for value, kept in zip(self.values, keep, strict=True) if kept]
        return EdgeExamples(self.articles[keep], self.vectors[keep], values)

    @classmethod
    def joined(cls, parts: Sequence[EdgeExamples]) -> EdgeExamples:
        """The rows of `parts` one after another. A part without rows is left out: a tagger that
        found nothing to learn from has no readings, so not even their width."""
        kept = [p for p in parts if p.values] or list(parts[:1])
        return cls(
            np.concatenate([p.articles for p in kept]),
            np.concatenate([p.vectors for p in kept]),
            [v for p in kept for v in p.values],
        )


def passage_value(
    start: int, end: int, gold: Sequence[tuple[int, int]], precision_weight: float = PRECISION_WEIGHT
) -> float:
    """What the passage [start, end) is worth to SI against the (merged) `gold` spans it overlaps."""
    covered = [max(0, min(end, e) - max(start, s)) for s, e in gold]
    recall = sum(c / (e - s) for c, (s, e) in zip(covered, gold, strict=True))
    return precision_weight * sum(covered) / (end - start) + recall


def edge_examples(
    runtime: ModelRuntime, proposer: ModelRuntime, corpus: PtcCorpus, precision_weight: float = PRECISION_WEIGHT
) -> EdgeExamples:
    """The candidates `proposer`'s tagger finds in `corpus` at `runtime`'s thresholds that teach
    edges (peak at least `MIN_PEAK`, overlapping gold, allowing moves), read by `runtime`, their
    moves valued with `precision_weight`."""
    gold = corpus.si_spans()
    thresholds = runtime.thresholds
    articles: list[str] = []
    vectors: list[NDArray[np.float32]] = []
    values: list[dict[Move, float]] = []
    for article_id in sorted(corpus.articles):
        text = corpus.articles[article_id].text
        spans = merge_overlapping(gold.get(article_id, []))
        offsets = tokenize(runtime.tokenizer, text).offsets
        found = candidate_passages(text, proposer.encode_many([text])[0], thresholds.run_threshold, thresholds.max_gap)
        ranges = []
        for start, end, peak in found:
            overlapping = [(s, e) for s, e in spans if s < end and start < e]
            allowed = moved_ranges(text, offsets, start, end) if peak >= MIN_PEAK and overlapping else {}
            if allowed:
                value = {move: passage_value(*r, overlapping, precision_weight) for move, r in allowed.items()}
                values.append({move: v - value[(0, 0)] for move, v in value.items()})
                ranges.append((start, end))
        if ranges:
            vectors.append(runtime.reader.read_passages(text, ranges, edges=True).edges)
            articles += [article_id] * len(ranges)
    width = vectors[0].shape[1] if vectors else 0
    return EdgeExamples(
        np.asarray(articles, str), np.concatenate(vectors) if vectors else np.zeros((0, width), np.float32), values
    )


def fit_edge_model(examples: EdgeExamples, ridge: float = RIDGE, margin: float = 0.0) -> EdgeModel:
    """One ridge regression per move in `EDGE_MOVES`, each on the examples that allow it;
    a move no example allows is never estimated to gain."""
    gains = np.stack([examples.gains(move) for move in EDGE_MOVES], axis=1)
    return EdgeModel(ridge_map(examples.vectors, gains, ridge, unknown=-1.0), margin)


def chosen_moves(model: EdgeModel, examples: EdgeExamples) -> list[Move]:
    """The move `model` makes of each example."""
    estimated = model.gains(examples.vectors)
    return [model.move(row, value) for row, value in zip(estimated, examples.values, strict=True)]


@dataclass(frozen=True)
class MarginChoice:
    margin: float
    #: mean gain per example of the moves chosen, with regressions fitted without its articles
    gain: float
    #: share of the examples that move
    moved_share: float


def choose_margin(examples: EdgeExamples, ridge: float = RIDGE, folds: int = FOLDS) -> MarginChoice:
    """The margin in MARGINS whose moves gain most on examples from articles the regressions
    were not fitted on (articles dealt into `folds` in sorted order); the larger on a tie."""
    moves: dict[float, list[Move]] = {margin: [(0, 0)] * len(examples.values) for margin in MARGINS}
    for held in held_out_by_article(examples.articles, folds):
        fitted, part = fit_edge_model(examples.subset(~held), ridge), examples.subset(held)
        for margin in MARGINS:
            chosen = chosen_moves(replace(fitted, margin=margin), part)
            for index, move in zip(np.flatnonzero(held), chosen, strict=True):
                moves[margin][index] = move
    gains = {m: np.asarray([v[move] for v, move in zip(examples.values, moves[m], strict=True)]) for m in MARGINS}
    best = max(MARGINS, key=lambda m: (round(float(gains[m].sum()), 9), m))
    moved = [move != (0, 0) for move in moves[best]]
    return MarginChoice(best, float(np.mean(gains[best])), float(np.mean(moved)))


def fit_edges(folder: Path, proposers: Sequence[tuple[Path, Path]]) -> dict[str, Any]:
    """Fit `folder`'s edge model on the candidates each (tagger, PTC folder) of `proposers`
    finds in that folder's articles, which it never trained on, or, where the tagger is the
    model itself (recorded as "own"), in the articles it trained on; write it, and return what
    the description records of it."""
    runtime = ModelRuntime.load(folder, spin=False)
    require_marked(runtime, folder, "reads passages marked, which is what its edge model reads")
    own = [tagger.resolve() == folder.resolve() for tagger, _ in proposers]
    # loaded before anything is read, so a missing tagger or fold fails at once; the model
    # itself, proposing in its own training articles, is the runtime already loaded
    folds = [
        (
            tagger.name,
            runtime if itself else ModelRuntime.load(tagger, spin=False),
            span_corpus(articles, runtime.scheme, "train"),
        )
        for (tagger, articles), itself in zip(proposers, own, strict=True)
    ]
    parts = [edge_examples(runtime, proposer, corpus) for _, proposer, corpus in folds]
    examples = EdgeExamples.joined(parts)
    if not len(examples.values):
        raise InputError(
            "the taggers find no passage overlapping gold in these folds, so there is nothing to fit edges on; "
            "give folds of the training articles with their labels (propscope folds)",
            path=proposers[0][1] if proposers else folder,
        )
    log.info("edges: %d passages found in %d unseen articles", len(examples.values), len(set(examples.articles)))
    choice = choose_margin(examples)
    fit_edge_model(examples).estimate.save(folder / EDGES_FILE)
    recorded = {
        "margin": choice.margin,
        "ridge": RIDGE,
        "precision_weight": PRECISION_WEIGHT,
        "min_peak": MIN_PEAK,
        "found": [
            {"tagger": name, "articles": len(corpus.articles), "passages": len(part.values)}
            | ({"own": True} if itself else {})
            for itself, (name, _, corpus), part in zip(own, folds, parts, strict=True)
        ],
        "cross_fitted": {"moved_share": round(choice.moved_share, 4), "mean_gain": round(choice.gain, 5)},
    }
    record_in_description(folder, edges=recorded)
    return recorded
