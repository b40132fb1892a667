"""The passage check's own encoder layers: a second opinion on each read passage.

The passage check (`detect.marked_spans.PassageCheck`) is a small head on vectors of an
encoder that was trained to tag tokens, not to judge whole passages; every head fitted on
those vectors moved SI by under 0.015. A model may also carry the top layers of its base
encoder fine-tuned for that judgement alone (`train.check_layers`): they read the shipped
encoder's vectors below them, which the same call that reads the passage marked in its
context already computes (the encoder's `CHECK_INPUT` output), and pool as the marked
reading does (the passage's own vectors, the whole input's) into the probability that the
passage overlaps a technique. The verdict used is the geometric mean of the check head's and
theirs: on PTC dev the blend raised SI, FLC and sentence F1 on two seeds, where their verdict
alone lost a true finding of the seed article (`docs/BENCHMARKS.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

CHECK_LAYERS_FILE = "check_layers.onnx"
#: the encoder output the check layers read: its hidden vectors below the layers they replace
CHECK_INPUT = "check_input"


@dataclass(frozen=True)
class CheckLayers:
    """The check layers' ONNX session and the `share` of their verdict in the blended one."""

    session: ort.InferenceSession
    share: float

    def verdict(self, below: NDArray[np.float32], first: int, last: int) -> float:
        """The probability that the passage whose tokens lie at [first, last) of one marked
        input overlaps a technique, from the encoder's `CHECK_INPUT` vectors of that input
        (sequence, hidden), [CLS] and [SEP] included."""
        span = np.zeros((1, len(below)), np.float32)
        span[0, first:last] = 1.0
        (probability,) = self.session.run(None, {"hidden": below[None], "mask": np.ones_like(span), "span": span})
        return float(np.asarray(probability).reshape(-1)[0])

    def blended(self, check: NDArray[np.float32], own: NDArray[np.float32]) -> NDArray[np.float32]:
        """The verdict used: check^(1 - share) * own^share."""
        return np.asarray(check ** (1.0 - self.share) * own**self.share, np.float32)
