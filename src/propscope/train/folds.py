"""Training articles dealt into folds, for taggers that must not see the articles they propose in.

The passage check learns what a tagger's false alarms look like, and a tagger's false alarms in
its own training articles are fewer and tamer than in articles it never saw. So the check also
learns from taggers each trained on all folds but one, proposing in the fold they never saw
(`propscope refit --check-out-of-fold TAGGER=FOLDER`). Fold folders link the articles instead
of copying them, so a corpus is never duplicated, and keep the gold rows in their file order, so
a tagger trained on a fold sees its labels exactly as in the full folder.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from propscope.formats.ptc import PtcCorpus, format_rows, read_ptc_folder


@dataclass(frozen=True)
class Fold:
    """One fold's folders: `held` holds its articles, `rest` all the others (a tagger's training set)."""

    held: Path
    rest: Path
    held_articles: int
    rest_articles: int


def deal(ids: Iterable[str], folds: int, shuffle: int | None = None) -> list[list[str]]:
    """Each fold's article ids. The ids are sorted first, so every machine deals alike; shuffled
    with the seed `shuffle` when given (a second dealing whose folds mix the first's, so that other
    taggers propose in the same articles); then dealt in turn: fold k gets the k-th, (k + N)-th, ...
    """
    if folds < 2:
        raise ValueError(f"folds must be 2 or more, got {folds}: a tagger needs articles it never saw")
    ordered = sorted(ids)
    if folds > len(ordered):
        raise ValueError(f"{folds} folds of {len(ordered)} articles would leave a fold empty")
    if shuffle is not None:
        random.Random(shuffle).shuffle(ordered)
    return [sorted(ordered[k::folds]) for k in range(folds)]


def write_folds(train: Path, out: Path, folds: int = 2, shuffle: int | None = None) -> list[Fold]:
    """Write `out/fold-k/held` and `out/fold-k/rest` (k from 1) for each fold of the PTC folder
    `train`: PTC folders that `propscope train --train-dir` and `--check-out-of-fold` read."""
    corpus = read_ptc_folder(train)
    written = []
    for k, held in enumerate(deal(corpus.articles, folds, shuffle), start=1):
        rest = sorted(set(corpus.articles) - set(held))
        folder = out / f"fold-{k}"
        for name, ids in (("held", held), ("rest", rest)):
            _write_folder(folder / name, corpus, {i: corpus.files[i] for i in ids})
        written.append(Fold(folder / "held", folder / "rest", len(held), len(rest)))
    return written


def _write_folder(folder: Path, corpus: PtcCorpus, articles: dict[str, Path]) -> None:
    """A PTC folder of `articles` (linked) and their gold rows from `corpus`."""
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    for path in articles.values():
        link = folder / "articles" / path.name
        link.unlink(missing_ok=True)
        link.symlink_to(path.resolve())
    for task, rows in (("task-flc-tc", corpus.tc_rows), ("task-si", corpus.si_rows)):
        if rows:
            kept = [row for row in rows if row.article_id in articles]
            (folder / f"train-{task}.labels").write_text(format_rows(kept), encoding="utf-8")
