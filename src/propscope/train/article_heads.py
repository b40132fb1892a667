"""Fitting the genre and frame models on training articles (scikit-learn; training extra only).

Both are class-balanced logistic regressions on the features of `detect.article_heads`,
computed with the very encoder that ships, so training and use see the same vectors. Their
decision rules are chosen by 5-fold cross-validation on the training articles, never on dev:
for genre, which inputs (all features or the style counts alone), how strong a penalty and
which reporting threshold give the best macro-F1 over opinion and reporting (satire has 2
labelled training articles, too few to tune anything); for frames, one threshold for the
best micro-F1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from propscope import techniques
from propscope.detect.article_heads import STYLE_FEATURES, ArticleHeads, decide_genre

THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.05, 0.96, 0.05))
FRAME_C = 1.0


def fit_article_heads(
    features: NDArray[np.float32], genres: list[str], frames: list[tuple[str, ...]], seed: int = 13
) -> ArticleHeads:
    """Fit both models on training articles' features and gold labels."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    x = (features - mean) / scale
    genre_weights, genre_bias, reporting = _fit_genre(x, np.asarray(genres), seed)
    frame_weights, frame_bias, frame_threshold = _fit_frames(x, frames, seed)
    return ArticleHeads(
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        genre_weights=genre_weights,
        genre_bias=genre_bias,
        reporting_threshold=reporting,
        frame_weights=frame_weights,
        frame_bias=frame_bias,
        frame_threshold=frame_threshold,
    )


#: the genre model's candidate inputs (all features, or the style counts alone) and strengths,
#: chosen by cross-validation on the training articles
GENRE_CANDIDATES = (("all", 0.01), ("all", 0.1), ("all", 1.0), ("style", 0.1), ("style", 1.0))


def _fit_genre(
    x: NDArray[np.float32], y: NDArray[np.str_], seed: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], float]:
    """Softmax weights in techniques.GENRES order (a genre absent from training gets a bias
    that never wins; unused inputs get zero weight) and the reporting threshold."""
    weights = np.zeros((len(techniques.GENRES), x.shape[1]), np.float32)
    bias = np.full(len(techniques.GENRES), -1e4, np.float32)
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:  # a smoke run with one genre: always that genre
        bias[techniques.GENRES.index(classes[0])] = 0.0
        return weights, bias, 1.01 if classes[0] != "reporting" else 0.0
    # folds are stratified on opinion against reporting, the decision tuned here; satire (two
    # training articles) cannot be spread over five folds and only goes along
    strata = np.where(y == "reporting", "reporting", "other")
    splits = min(5, int(np.unique(strata, return_counts=True)[1].min()))
    folds = (
        list(StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed).split(x, strata))
        if splits >= 2
        else None
    )
    best: tuple[float, float, str, float] | None = None  # (cv macro-F1, threshold, inputs, C)
    for inputs, strength in GENRE_CANDIDATES:
        columns = _columns(inputs, x.shape[1])
        model = LogisticRegression(C=strength, max_iter=5000, class_weight="balanced")
        if folds is None:
            held_out = model.fit(x[:, columns], y).predict_proba(x[:, columns])
        else:
            held_out = cross_val_predict(model, x[:, columns], y, cv=folds, method="predict_proba")
        order = sorted(set(y.tolist()))
        candidates = [
            {g: float(row[order.index(g)]) if g in order else 0.0 for g in techniques.GENRES} for row in held_out
        ]
        for threshold in THRESHOLDS:
            predicted = [decide_genre(p, threshold) for p in candidates]
            score = float(f1_score(y, predicted, average="macro", labels=["opinion", "reporting"], zero_division=0))
            if best is None or score > best[0]:
                best = (score, threshold, inputs, strength)
    assert best is not None
    _, threshold, inputs, strength = best
    columns = _columns(inputs, x.shape[1])
    model = LogisticRegression(C=strength, max_iter=5000, class_weight="balanced").fit(x[:, columns], y)
    if len(model.classes_) == 2:  # sklearn keeps one logit for two classes; split it symmetrically
        coef = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
        intercept = np.asarray([-model.intercept_[0] / 2, model.intercept_[0] / 2])
    else:
        coef, intercept = model.coef_, model.intercept_
    for index, genre in enumerate(model.classes_):
        weights[techniques.GENRES.index(genre), columns] = coef[index]
        bias[techniques.GENRES.index(genre)] = intercept[index]
    return weights, bias, threshold


def _columns(inputs: str, width: int) -> NDArray[np.int64]:
    """The feature columns a genre candidate reads: all, or the style counts at the end."""
    return np.arange(width) if inputs == "all" else np.arange(width - STYLE_FEATURES, width)


def _fit_frames(
    x: NDArray[np.float32], frames: list[tuple[str, ...]], seed: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], float]:
    names = list(techniques.FRAMES)
    y = np.asarray([[name in labels for name in names] for labels in frames], dtype=int)
    weights = np.zeros((len(names), x.shape[1]), np.float32)
    bias = np.zeros(len(names), np.float32)
    held_out = np.zeros(y.shape)
    for column in range(len(names)):
        target = y[:, column]
        if target.min() == target.max():  # every article has it, or none: a constant
            bias[column] = 1e4 if target[0] else -1e4
            held_out[:, column] = float(target[0])
            continue
        model = LogisticRegression(C=FRAME_C, max_iter=5000, class_weight="balanced")
        splits = min(5, int(min(target.sum(), len(target) - target.sum())))
        if splits >= 2:
            folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
            held_out[:, column] = cross_val_predict(model, x, target, cv=folds, method="predict_proba")[:, 1]
        model.fit(x, target)
        weights[column] = model.coef_[0]
        bias[column] = model.intercept_[0]
        if splits < 2:
            held_out[:, column] = model.predict_proba(x)[:, 1]
    threshold = max(
        THRESHOLDS, key=lambda t: float(f1_score(y, (held_out >= t).astype(int), average="micro", zero_division=0))
    )
    return weights, bias, threshold
