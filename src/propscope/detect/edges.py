"""Moving a found passage's edges towards where annotators would put them.

A passage's edges are where the tagger's run of tokens ends, and on PTC dev a quarter of the
characters of the passages that do hit a technique lie outside it, with as many missing at
the edges (`docs/BENCHMARKS.md`, "Where SI is lost"). Nothing in decoding judged a passage's
edges as a whole; its marked reading, which decoding computes anyway to check and name the
passage, has vectors at and around both markers that do. A ridge regression per edge move
(one or two words out or in, at either edge) estimates, from nine of those vectors, how much
the move would raise the passage's share of what annotators marked; each edge takes its best
move when the estimate clears a margin. A move must give a range that decoding would have
reported as it is: whole words, one line, not opening or closing on a word a phrase does not
start or end with, not only function words. Of two passages that would overlap, the one scored
lower yields (`without_overlaps`), so a phrase is never flagged twice and a passage's edges never
depend on weaker passages: lowering the threshold adds passages and moves none.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from propscope.detect.decode import clean_span
from propscope.detect.function_words import only_function_words
from propscope.detect.linear_map import LinearMap
from propscope.metrics import overlaps_any

EDGES_FILE = "edges.npz"
#: word pieces an edge may move by; negative: towards the start of the text
STEPS = (-2, -1, 1, 2)
#: (start move, end move) of a passage
Move = tuple[int, int]
#: the moves the model estimates, one edge at a time: the start's, then the end's
EDGE_MOVES: tuple[Move, ...] = tuple((step, 0) for step in STEPS) + tuple((0, step) for step in STEPS)
#: the marked reading's vectors an edge model reads, by offset from the first marked token and
#: from the token after the last (the markers are at -1 of each): two tokens on each side of each edge
EDGE_OFFSETS = (-2, -1, 0, 1)


def edge_vectors(hidden: NDArray[np.float32], first: int, last: int) -> NDArray[np.float32]:
    """What an edge model reads of a marked reading (`hidden`, tokens by hidden size) whose
    span is tokens [first, last): the vectors around each edge (`EDGE_OFFSETS`), then the span's mean."""
    positions = [first + k for k in EDGE_OFFSETS] + [last + k for k in EDGE_OFFSETS]
    rows = [hidden[min(max(k, 0), len(hidden) - 1)] for k in positions]
    return np.concatenate([*rows, hidden[first:last].mean(axis=0)]).astype(np.float32)


def moved_ranges(text: str, offsets: NDArray[np.int64], start: int, end: int) -> dict[Move, tuple[int, int]]:
    """The ranges each move (in `EDGE_MOVES`, both edges together, or none) makes of
    [start, end) over the text's tokens (`offsets`): only those decoding would report as they
    are, on one line. Empty when [start, end) itself is not such a range."""
    first = int(np.searchsorted(offsets[:, 1], start, side="right"))
    last = int(np.searchsorted(offsets[:, 0], end))
    ranges: dict[Move, tuple[int, int]] = {}
    for a_step in (0, *STEPS):
        for b_step in (0, *STEPS):
            a, b = first + a_step, last + b_step
            if a < 0 or b > len(offsets) or b - a < 1:
                continue
            s, e = int(offsets[a][0]), int(offsets[b - 1][1])
            reach_start, reach_end = min(s, start), max(e, end)
            if "\n" in text[reach_start:reach_end] or only_function_words(text[s:e]):
                continue
            if clean_span(text, s, e) == (s, e):
                ranges[(a_step, b_step)] = (s, e)
    return ranges if (0, 0) in ranges else {}


@dataclass(frozen=True)
class EdgeModel:
    """Ridge regressions of each move's gain (outputs of `estimate`, one per `EDGE_MOVES`) on
    `edge_vectors`, and the `margin` an estimated gain must clear for its edge to move."""

    estimate: LinearMap
    margin: float

    def gains(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """The estimated gain of each of `EDGE_MOVES` (columns) for each passage's `edge_vectors` (rows)."""
        return self.estimate(vectors)

    def move(self, gains: NDArray[np.float32], allowed: Container[Move]) -> Move:
        """The move a passage makes given its estimated `gains` and the moves it `allowed`: each
        edge's best allowed move that clears the margin, both together when that is allowed too,
        else the one estimated higher."""
        estimated = dict(zip(EDGE_MOVES, (float(g) for g in gains), strict=True))

        def best(of_edge: Sequence[Move]) -> tuple[Move, float]:
            options = [(estimated[m], m) for m in of_edge if m in allowed and estimated[m] > self.margin]
            return max(options, default=(0.0, (0, 0)))[::-1]

        (start_move, start_gain), (end_move, end_gain) = best(EDGE_MOVES[: len(STEPS)]), best(EDGE_MOVES[len(STEPS) :])
        both = (start_move[0], end_move[1])
        if both in allowed:
            return both
        return start_move if start_gain >= end_gain else end_move

    def moved(
        self, text: str, offsets: NDArray[np.int64], ranges: Sequence[tuple[int, int]], vectors: NDArray[np.float32]
    ) -> list[tuple[int, int]]:
        """Each range of `text` (tokens at `offsets`) after its move, from its `edge_vectors`
        (the moves a range allows are only worked out when one is estimated to clear the margin)."""
        if not ranges:
            return []
        result = []
        for (start, end), gains in zip(ranges, self.gains(vectors), strict=True):
            allowed = moved_ranges(text, offsets, start, end) if gains.max() > self.margin else {}
            result.append(allowed[self.move(gains, allowed)] if allowed else (start, end))
        return result

    @classmethod
    def load(cls, path: Path, margin: float) -> EdgeModel:
        """The regressions saved at `path`; the margin lives in the model description with what
        was measured for it."""
        return cls(LinearMap.load(path, f"propscope edges {path.parent} --out-of-fold TAGGER=FOLDER"), margin)


def without_overlaps(
    text: str, original: Sequence[tuple[int, int]], moved: Sequence[tuple[int, int]], scores: Sequence[float]
) -> list[tuple[int, int] | None]:
    """Each passage's range as reported: its `moved` range, unless that overlaps a passage
    scored higher, when it keeps its `original` range (the originals never overlap); when a
    higher one's move reaches into that too, it keeps the words left to it, or is dropped
    (None) when what is left is not worth reporting on its own. Passages yield to higher ones
    only, so where a passage is reported never depends on passages scored under it: lowering
    the threshold adds passages and moves none."""
    placed: list[tuple[int, int]] = []
    result: list[tuple[int, int] | None] = [None] * len(original)
    for i in sorted(range(len(original)), key=lambda k: (-scores[k], original[k])):
        kept = next((r for r in (moved[i], original[i]) if not overlaps_any(r, placed)), None)
        kept = kept or _left_to(text, original[i], placed)
        if kept is not None:
            placed.append(kept)
        result[i] = kept
    return result


def _left_to(text: str, span: tuple[int, int], placed: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """What of `span` the `placed` ranges leave (each reaches in from one side: an edge moves
    by a word or two), as decoding would report it, or None."""
    start, end = span
    for p_start, p_end in placed:
        if overlaps_any((start, end), [(p_start, p_end)]):
            start, end = (max(start, p_end), end) if p_start <= start else (start, min(end, p_start))
    cleaned = clean_span(text, start, end) if start < end else None
    return cleaned if cleaned is not None and not only_function_words(text[slice(*cleaned)]) else None
