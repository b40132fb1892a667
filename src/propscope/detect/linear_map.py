"""A linear map on standardised inputs: the small estimators a shipped model carries beside its heads.

The passage triage (`detect.triage`) and the edge model (`detect.edges`) each estimate a few
numbers per passage with ridge regressions on vectors the detector has already computed
(`train.ridge` fits them). Both apply the same thing at inference: standardise, one matrix
product, add a bias; and both store it the same way, with the margin that turns an estimate
into a decision kept in the model description beside what was measured for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from propscope.errors import InputError

ARRAYS = ("mean", "scale", "weights", "biases")


@dataclass(frozen=True)
class LinearMap:
    """Outputs `((inputs - mean) / scale) @ weights.T + biases`, one row of `weights` and one
    bias per output."""

    mean: NDArray[np.float32]
    scale: NDArray[np.float32]
    weights: NDArray[np.float32]  # (outputs, inputs)
    biases: NDArray[np.float32]  # (outputs,)

    def __call__(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """The outputs (rows, outputs) for rows of inputs."""
        return np.asarray(((inputs - self.mean) / self.scale) @ self.weights.T + self.biases, np.float32)

    def save(self, path: Path) -> None:
        np.savez(path, mean=self.mean, scale=self.scale, weights=self.weights, biases=self.biases)

    @classmethod
    def load(cls, path: Path, refit: str) -> LinearMap:
        """The map saved at `path`; one saved in another layout (an older propscope's) is refused
        with `refit`, the command that writes it again."""
        with np.load(path) as saved:
            missing = [key for key in ARRAYS if key not in saved.files]
            if missing:
                raise InputError(
                    f"is in an older layout (no {', '.join(missing)}); write it again with '{refit}'", path=path
                )
            arrays = [saved[key].astype(np.float32) for key in ARRAYS]
        return cls(*arrays)
