"""Article-level predictions from the same encoder pass as the spans: genre and frames.

An article is described by the mean of its tokens' hidden vectors (what it is about and how it
is written, as the span encoder sees it) and a few counts of reporting style: attributions
("said", "according to"), quotation marks, first- and second-person words, questions and
exclamations, and how much of it the span detector found persuasive. Two linear models read
that vector: one gives a probability for each genre, the other a score for each frame. They
cost nothing next to the encoder, so genre and frames come with every analysis of a model
that has them (`article_head.npz` in its folder).

Genre is decided by a rule fitted on training articles with cross-validation, not by the
training prior: 319 of the 351 labelled training articles are opinion, so "most probable
genre" would almost never say reporting, while newer news sets hold far more reporting than opinion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from propscope import techniques
from propscope.article import Frames, Genre
from propscope.detect.predict import Encoded

FILE = "article_head.npz"
STYLE_FEATURES = 9  # the counts style_features returns, last in every feature vector
_WORD = re.compile(r"[A-Za-z]+")  # an apostrophe, straight or U+2019, splits: "we're" counts "we"
_ATTRIBUTION = frozenset({"said", "says", "according", "reported", "told", "spokesman", "spokeswoman", "statement"})
_FIRST_PERSON = frozenset({"i", "me", "my", "we", "our", "us"})
_SECOND_PERSON = frozenset({"you", "your"})
_QUOTES = '"\u201c\u201d'


def style_features(text: str, presence: NDArray[np.float32]) -> NDArray[np.float32]:
    """Counts that tell reporting from opinion, per 100 words. Not per line: an article pasted
    as one paragraph or one line would then look as full of quotes and questions as it has
    sentences, and its genre and frames changed with its layout (`benchmarks/text_layout.py`)."""
    words = [w.lower() for w in _WORD.findall(text)]
    n = max(1, len(words))
    return np.asarray(
        [
            100 * sum(w in _ATTRIBUTION for w in words) / n,
            100 * sum(text.count(q) for q in _QUOTES) / n,
            100 * sum(w in _FIRST_PERSON for w in words) / n,
            100 * sum(w in _SECOND_PERSON for w in words) / n,
            100 * text.count("?") / n,
            100 * text.count("!") / n,
            float((presence > 0.4).mean()) if len(presence) else 0.0,
            float(presence.mean()) if len(presence) else 0.0,
            math.log(n),
        ],
        dtype=np.float32,
    )


def article_features(text: str, encoded: Encoded) -> NDArray[np.float32]:
    """[mean hidden vector, style features] of one article."""
    hidden = encoded.hidden.astype(np.float32)
    mean = hidden.mean(axis=0) if len(hidden) and hidden.shape[1] > 1 else None
    presence = encoded.probabilities[:, 0] if len(encoded.tokens) else np.zeros(0, np.float32)
    style = style_features(text, presence)
    if mean is None:  # an empty text: no hidden vectors
        return np.concatenate([np.zeros(0, np.float32), style])
    return np.concatenate([mean, style])


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


@dataclass(frozen=True)
class ArticleHeads:
    """Standardisation, the genre model with its decision rule, and the frame model."""

    mean: NDArray[np.float32]
    scale: NDArray[np.float32]
    genre_weights: NDArray[np.float32]  # (genres, features), rows in techniques.GENRES order
    genre_bias: NDArray[np.float32]
    reporting_threshold: float
    frame_weights: NDArray[np.float32]  # (frames, features), rows in techniques.FRAMES order
    frame_bias: NDArray[np.float32]
    frame_threshold: float

    def predict(self, features: NDArray[np.float32]) -> tuple[Genre, Frames]:
        if len(features) != len(self.mean):  # an empty article: no evidence either way
            return Genre("opinion", {g: round(1 / len(techniques.GENRES), 4) for g in techniques.GENRES}), Frames(())
        x = (features - self.mean) / self.scale
        logits = self.genre_weights @ x + self.genre_bias
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        by_genre = dict(zip(techniques.GENRES, (float(p) for p in probabilities), strict=True))
        label = decide_genre(by_genre, self.reporting_threshold)
        scores = _sigmoid((self.frame_weights @ x + self.frame_bias).astype(np.float64))
        names = list(techniques.FRAMES)
        strongest_first = sorted(zip(names, scores, strict=True), key=lambda pair: -pair[1])
        chosen = tuple(name for name, score in strongest_first if score >= self.frame_threshold)
        return (
            Genre(label, {g: round(p, 4) for g, p in by_genre.items()}),
            Frames(chosen, {name: round(float(s), 4) for name, s in zip(names, scores, strict=True)}),
        )

    def save(self, folder: Path) -> None:
        np.savez(
            folder / FILE,
            mean=self.mean,
            scale=self.scale,
            genre_weights=self.genre_weights,
            genre_bias=self.genre_bias,
            reporting_threshold=np.float32(self.reporting_threshold),
            frame_weights=self.frame_weights,
            frame_bias=self.frame_bias,
            frame_threshold=np.float32(self.frame_threshold),
        )

    @classmethod
    def load(cls, folder: Path) -> ArticleHeads | None:
        if not (folder / FILE).is_file():
            return None
        with np.load(folder / FILE) as data:
            return cls(
                mean=data["mean"],
                scale=data["scale"],
                genre_weights=data["genre_weights"],
                genre_bias=data["genre_bias"],
                reporting_threshold=float(data["reporting_threshold"]),
                frame_weights=data["frame_weights"],
                frame_bias=data["frame_bias"],
                frame_threshold=float(data["frame_threshold"]),
            )


def decide_genre(probabilities: dict[str, float], reporting_threshold: float) -> str:
    """Reporting when its probability reaches the fitted threshold; else satire when it is the
    most probable genre; else opinion."""
    if probabilities["reporting"] >= reporting_threshold:
        return "reporting"
    if max(probabilities, key=lambda g: probabilities[g]) == "satire":
        return "satire"
    return "opinion"
