"""Ridge regression on standardised inputs, in closed form.

The small linear maps a shipped model carries beside its heads (its passage triage, its edge
model; `detect.linear_map`) read a few thousand vectors each; numpy solves them exactly in
seconds, and the result is a mean, a scale, weights and a bias that inference applies with one
matrix product.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from propscope.detect.linear_map import LinearMap


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


def ridge_map(
    inputs: NDArray[np.float32], targets: NDArray[np.floating], ridge: float, unknown: float = 0.0
) -> LinearMap:
    """One ridge regression per column of `targets` (rows, outputs) on the standardised `inputs`,
    each on the rows where its target is known (not NaN); an output no row knows is the
    constant `unknown`."""
    mean, scale = standardisation(inputs)
    standard = (inputs - mean) / scale
    weights = np.zeros((targets.shape[1], inputs.shape[1]), np.float32)
    biases = np.full(targets.shape[1], unknown, np.float32)
    for k, column in enumerate(np.asarray(targets, np.float64).T):
        known = ~np.isnan(column)
        if known.any():
            weights[k], biases[k] = ridge_solution(standard[known], column[known], ridge)
    return LinearMap(mean, scale, weights, biases)


def held_out_by_article(articles: NDArray[np.str_], folds: int) -> Iterator[NDArray[np.bool_]]:
    """For cross-fitting a map: the rows held out in each of `folds` folds, the distinct
    `articles` dealt into them in sorted order so that no article is on both sides; a fold
    that would hold out nothing, or everything, is skipped."""
    article_ids = np.unique(articles)
    for k in range(folds):
        held = np.isin(articles, article_ids[k::folds])
        if held.any() and not held.all():
            yield held
