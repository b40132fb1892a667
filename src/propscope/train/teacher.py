"""Trained teacher models' soft targets for distillation into a student.

The teacher (for example all-mpnet-base-v2 fine-tuned by `propscope train`, five times the
student's size) is run once over the training articles: with ONNX Runtime, as inference runs it,
or, when the student trains on a GPU, with torch there (a `TeacherReader`). Its per-token
probabilities are kept with its own character offsets, so a student with another tokenizer
can take them over by character position; its span head's technique probabilities are kept
for every gold span. The student then learns from a mix of gold labels and these softer
targets, which carry what the teacher learnt about near-misses and look-alike techniques.
Several teachers (an ensemble of seeds, say) are averaged: their agreement is a better target
than any one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from propscope.article import Article, Span
from propscope.detect.predict import Encoded, SpanClassifier

log = logging.getLogger("propscope.train")


class TeacherReader(Protocol):
    """What reads a teacher: its encoder over whole articles and its span classifier."""

    def encode_many(self, texts: Sequence[str]) -> list[Encoded]: ...

    @property
    def classifier(self) -> SpanClassifier: ...


@dataclass(frozen=True)
class TeacherView:
    """A teacher's outputs on one article: per teacher token, and per gold span range."""

    offsets: NDArray[np.int64]  # (teacher tokens, 2) character offsets
    probabilities: NDArray[np.float32]  # (teacher tokens, 15)
    ranges: NDArray[np.int64]  # (gold ranges, 2)
    span_probabilities: NDArray[np.float32]  # (gold ranges, 14)

    def token_targets(self, offsets: NDArray[np.int64]) -> NDArray[np.float32]:
        """The teacher's probabilities for another tokenization: each token takes the values of
        the teacher token that holds its first character (or the nearest one before it)."""
        if len(self.offsets) == 0:
            return np.zeros((len(offsets), self.probabilities.shape[1]), np.float32)
        index = np.searchsorted(self.offsets[:, 0], offsets[:, 0], side="right") - 1
        return self.probabilities[np.clip(index, 0, len(self.offsets) - 1)]

    def span_targets(self) -> dict[tuple[int, int], NDArray[np.float32]]:
        return {(int(s), int(e)): p for (s, e), p in zip(self.ranges, self.span_probabilities, strict=True)}


@dataclass(frozen=True)
class EnsembleView:
    """Several teachers' views of one article, averaged."""

    views: tuple[TeacherView, ...]

    def token_targets(self, offsets: NDArray[np.int64]) -> NDArray[np.float32]:
        averaged: NDArray[np.float32] = np.mean([view.token_targets(offsets) for view in self.views], axis=0)
        return averaged.astype(np.float32)

    def span_targets(self) -> dict[tuple[int, int], NDArray[np.float32]]:
        each = [view.span_targets() for view in self.views]
        return {key: np.mean([targets[key] for targets in each], axis=0).astype(np.float32) for key in each[0]}


def ensemble_views(
    folders: Sequence[Path],
    articles: dict[str, Article],
    gold: dict[str, list[Span]],
    cache_folder: Path,
    reader: Callable[[Path], TeacherReader | None] | None = None,
) -> dict[str, EnsembleView]:
    """Every teacher's views of every article (each cached as teacher-targets-<n>.npz), averaged."""
    per_teacher = [
        teacher_views(folder, articles, gold, cache_folder / f"teacher-targets-{number}.npz", reader)
        for number, folder in enumerate(folders)
    ]
    return {article_id: EnsembleView(tuple(views[article_id] for views in per_teacher)) for article_id in articles}


def teacher_views(
    folder: Path,
    articles: dict[str, Article],
    gold: dict[str, list[Span]],
    cache: Path,
    reader: Callable[[Path], TeacherReader | None] | None = None,
) -> dict[str, TeacherView]:
    """Run the teacher model folder over the articles, with what `reader` makes of it or else
    ONNX Runtime; the results are cached in `cache`, so a resumed run does not pay for them again.

    ONNX Runtime shares the process with torch here, so its threads must not spin."""
    if cache.is_file():
        views = _read_cache(cache)
        if set(views) >= set(articles):
            log.info("teacher targets from %s", cache)
            return {aid: views[aid] for aid in articles}
    from propscope.detect.runtime import ModelRuntime

    teacher = reader(folder) if reader is not None else None
    if teacher is None:
        teacher = ModelRuntime.load(folder, spin=False)
        log.info("teacher %s read with ONNX Runtime on the CPU", folder)
    classifier = teacher.classifier  # built from the model on each access, so once for all articles
    views = {}
    for number, (article_id, article) in enumerate(articles.items(), start=1):
        encoded = teacher.encode_many([article.text])[0]
        ranges = sorted({(s.start, s.end) for s in gold[article_id]})
        span_probabilities = (
            classifier.probabilities(article.text, encoded, ranges)
            if len(encoded.tokens)
            else np.zeros((0, encoded.probabilities.shape[1] - 1), np.float32)
        )
        views[article_id] = TeacherView(
            offsets=encoded.tokens.offsets,
            probabilities=encoded.probabilities.astype(np.float32),
            ranges=np.asarray(ranges, dtype=np.int64).reshape(-1, 2),
            span_probabilities=np.asarray(span_probabilities, dtype=np.float32),
        )
        if number % 50 == 0:
            log.info("teacher targets: %d of %d articles", number, len(articles))
    _write_cache(cache, views)
    return views


def _write_cache(path: Path, views: dict[str, TeacherView]) -> None:
    arrays = {
        f"{article_id}/{field}": getattr(view, field)
        for article_id, view in views.items()
        for field in ("offsets", "probabilities", "ranges", "span_probabilities")
    }
    partial = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)


def _read_cache(path: Path) -> dict[str, TeacherView]:
    with np.load(path) as data:
        fields: dict[str, dict[str, NDArray[np.generic]]] = {}
        for key in data.files:
            article_id, field = key.rsplit("/", 1)
            fields.setdefault(article_id, {})[field] = data[key]
    return {article_id: TeacherView(**values) for article_id, values in fields.items()}  # type: ignore[arg-type]
