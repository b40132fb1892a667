"""Ridge regression on standardised inputs, in closed form.

The small linear maps a shipped model carries beside its heads (its passage triage, its edge
model) read a few thousand vectors each; numpy solves them exactly in seconds, and the result
is a mean, a scale, weights and a bias that inference applies with one matrix product.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def standardisation(inputs: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The mean and scale that standardise each input column (scale 1 for a constant column)."""
    spread = inputs.std(axis=0)
    return inputs.mean(axis=0).astype(np.float32), np.where(spread > 0, spread, 1.0).astype(np.float32)


def ridge_solution(
    standard: NDArray[np.floating], target: NDArray[np.floating], ridge: float
) -> tuple[NDArray[np.float32], float]:
    """Weights and bias of a ridge regression of `target` on `standard` (standardised rows);
    the bias is the target's mean, left unpenalised."""
    rows = standard.astype(np.float64)
    bias = float(np.mean(target))
    gram = rows.T @ rows + ridge * np.eye(rows.shape[1])
    weights = np.linalg.solve(gram, rows.T @ (np.asarray(target, np.float64) - bias))
    return weights.astype(np.float32), bias
