"""Turning raw model scores into probabilities a reader can take at face value.

The encoder's "inside a technique" probabilities rank passages well but are not frequencies:
a raw 0.6 was right far less than 6 times in 10. Two monotone maps, fitted with isotonic
regression on articles the encoder never trained on (PTC dev) and stored with the model, fix
that:

- a span's score becomes the probability that annotators marked a propaganda span
  overlapping it, from its raw score (the highest token probability in the span, combined
  with the passage check's verdict when the model has one);
- a sentence's score becomes the probability that it contains a propaganda span, from the
  highest token probability in the sentence. The article score, their mean, is then the
  expected share of its sentences that contain a technique.

Being monotone, the maps never change which of two passages ranks higher; a threshold on the
calibrated score is a threshold on the raw one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class MonotoneMap:
    """A non-decreasing piecewise-linear map of [0, 1] into [0, 1], given by its knots."""

    x: tuple[float, ...] = (0.0, 1.0)
    y: tuple[float, ...] = (0.0, 1.0)

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError("a monotone map needs at least two knots, as many x as y")
        if any(b < a for a, b in zip(self.x, self.x[1:], strict=False)) or any(
            b < a for a, b in zip(self.y, self.y[1:], strict=False)
        ):
            raise ValueError("a monotone map's knots must be non-decreasing")
        if not all(0.0 <= v <= 1.0 for v in self.y):
            raise ValueError("a monotone map's values must lie in [0, 1]")

    def __call__(self, raw: ArrayLike) -> NDArray[np.float64]:
        return np.interp(np.asarray(raw, dtype=np.float64), self.x, self.y)

    @classmethod
    def fit(cls, raw: Sequence[float] | NDArray[Any], outcome: Sequence[bool] | NDArray[Any]) -> MonotoneMap:
        """Isotonic regression of the outcome (0/1) on the raw score, as a map of [0, 1].

        Pool-adjacent-violators over the sorted scores, then one knot per pooled block (its
        mean score and hit rate), clamped flat beyond the first and last block."""
        order = np.argsort(np.asarray(raw, dtype=np.float64), kind="stable")
        scores = np.asarray(raw, dtype=np.float64)[order]
        hits = np.asarray(outcome, dtype=np.float64)[order]
        if len(scores) == 0:
            return cls()
        blocks: list[list[float]] = []  # [sum of scores, sum of hits, count]
        for score, hit in zip(scores, hits, strict=True):
            blocks.append([score, hit, 1.0])
            while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
                last = blocks.pop()
                blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
        x = [block[0] / block[2] for block in blocks]
        y = [block[1] / block[2] for block in blocks]
        if x[0] > 0.0:
            x, y = [0.0, *x], [y[0], *y]
        if x[-1] < 1.0:
            x, y = [*x, 1.0], [*y, y[-1]]
        if len(x) == 1:  # every score was exactly 0 or exactly 1
            x, y = [0.0, 1.0], [y[0], y[0]]
        return cls(tuple(round(float(v), 6) for v in x), tuple(round(float(v), 6) for v in y))

    def to_dict(self) -> dict[str, list[float]]:
        return {"x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> MonotoneMap:
        return cls(tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"]))


@dataclass(frozen=True)
class Calibration:
    """The two maps a model carries; the identity for a model that was never calibrated."""

    span: MonotoneMap = MonotoneMap()
    sentence: MonotoneMap = MonotoneMap()

    def to_dict(self) -> dict[str, Any]:
        return {"span": self.span.to_dict(), "sentence": self.sentence.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Calibration:
        if not data:
            return cls()
        return cls(MonotoneMap.from_dict(data["span"]), MonotoneMap.from_dict(data["sentence"]))


#: the identity maps: what a model without calibration reports (raw scores)
UNCALIBRATED = Calibration()


def expected_calibration_error(probability: NDArray[Any], outcome: NDArray[Any], bins: int = 10) -> float:
    """Mean |predicted - observed| over equal-width probability bins, weighted by bin size."""
    probability = np.asarray(probability, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.float64)
    if len(probability) == 0:
        return 0.0
    index = np.minimum((probability * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            error += members.mean() * abs(probability[members].mean() - outcome[members].mean())
    return float(error)
