"""Split the PTC train articles into folds, for taggers that must not see the articles they tag.

    python benchmarks/ptc_folds.py --out DIR [--folds N]

Article ids are sorted and dealt in turn (fold k holds ids k, k + N, k + 2N, ...), so the split
is the same on every machine. For each fold k (from 1) it writes `DIR/fold-k/held`, the fold's
articles, and `DIR/fold-k/rest`, all the others: PTC folders (articles linked, not copied, and
the two label files filtered to them) that `propscope train --train-dir` and
`benchmarks/passage_check_grid.py --out-of-fold` read. Nothing is written inside the repository
unless DIR is in it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402

LABEL_FILES = ("train-task-flc-tc.labels", "train-task-si.labels")


def write_folder(folder: Path, train: Path, ids: set[str]) -> None:
    """A PTC folder at `folder` holding the articles `ids` of `train` and their gold rows."""
    articles = folder / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for path in train.rglob("article*.txt"):
        if path.stem.removeprefix("article") in ids:
            (articles / path.name).unlink(missing_ok=True)
            (articles / path.name).symlink_to(path.resolve())
    for name in LABEL_FILES:
        rows = (train / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text("".join(r for r in rows if r.split("\t", 1)[0] in ids), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=2)
    args = parser.parse_args()
    train = Settings().ptc_folder("train")
    ids = sorted(read_ptc_folder(train).articles)
    for k in range(args.folds):
        held = set(ids[k :: args.folds])
        write_folder(args.out / f"fold-{k + 1}" / "held", train, held)
        write_folder(args.out / f"fold-{k + 1}" / "rest", train, set(ids) - held)
        print(f"fold-{k + 1}: {len(held)} articles held, {len(ids) - len(held)} in rest")


if __name__ == "__main__":
    main()
