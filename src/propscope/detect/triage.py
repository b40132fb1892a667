"""Deciding which candidate passages are worth reading marked in their context.

A marked model reads every candidate whose peak could still clear the span threshold with the
best possible check verdict. On PTC dev reading took about half of all the time, and more than
half of the passages read were then rejected (`docs/BENCHMARKS.md`, "Passage triage, one BLAS
thread while decoding, articles side by side"). The article pass has already computed each
candidate's vectors, and from them a linear map estimates the check's verdict (as log-odds)
well enough to rule many out: a candidate is read only if its estimated verdict, raised by a
safety `margin`, could still lift it over the threshold. The margin is chosen on training
articles, cross-fitted, so that at most a set share of the passages that would have been
reported is lost; everything read is judged exactly as before, so the triage can drop a
passage but never add or rescore one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from propscope.detect.features import span_features
from propscope.detect.linear_map import LinearMap
from propscope.detect.predict import Encoded, Passage, article_span_vectors

TRIAGE_FILE = "triage.npz"


def triage_inputs(text: str, encoded: Encoded, passages: Sequence[Passage]) -> NDArray[np.float32]:
    """What the triage reads of each passage, all from the article pass: its mean and max
    vectors, `span_features` and its peak."""
    lowered = text.lower()
    rows = [
        np.concatenate(
            [
                article_span_vectors(encoded.tokens, encoded.hidden, start, end).astype(np.float32),
                span_features(text, start, end, lowered),
                [peak],
            ]
        )
        for start, end, peak in passages
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)


def raised_verdicts(log_odds: NDArray[np.float32], margin: float) -> NDArray[np.float32]:
    """Estimated verdicts (`log_odds`) raised by `margin` in log-odds, as probabilities."""
    return np.asarray(1.0 / (1.0 + np.exp(-(log_odds + margin))), dtype=np.float32)


@dataclass(frozen=True)
class Triage:
    """A linear `estimate` of the passage check's verdict, as log-odds, from `triage_inputs`
    (one output), and the `margin` (in log-odds) added to it before a passage is ruled out."""

    estimate: LinearMap
    margin: float

    def log_odds(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """The estimated verdict of each row of `triage_inputs`, as log-odds."""
        return self.estimate(inputs)[:, 0]

    def ceilings(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> NDArray[np.float32]:
        """The highest verdict each passage is taken to be able to get: its estimate raised by
        the margin."""
        if not passages:
            return np.zeros(0, np.float32)
        return raised_verdicts(self.log_odds(triage_inputs(text, encoded, passages)), self.margin)

    @classmethod
    def load(cls, path: Path, margin: float) -> Triage:
        """The estimate saved at `path`; the margin lives in the model description with what
        was measured for it."""
        return cls(LinearMap.load(path, f"propscope triage {path.parent}"), margin)
