"""Paired comparison of training runs, from the dev line `propscope train` logs after every epoch.

Usage: python benchmarks/paired_runs.py [--max-epoch N] BASELINE=CHANGED [BASELINE=CHANGED ...]

Each side is a run folder (its train.log is read) or a log file holding that run's output. For
each run the epoch the trainer would keep (best SI + TC F1, `train.loop.selection_key`) is taken
among the first N epochs, so runs cut short at the same epoch compare alike. Pairs share a seed:
the changed run differs from its baseline only by the lever, and the spread of the paired
differences shows whether the lever beats the seed-to-seed noise, which is larger than most
levers (about 0.036 SI F1 between seeds of one recipe).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path
from typing import Any

from propscope.train.loop import selection_key

EPOCH_LINE = re.compile(r"epoch \d+ dev \(best of span thresholds [^)]*\)\): (\{.*\})")
MEASURES = ("si", "tc", "flc", "sentence")


def epochs(run: Path) -> list[dict[str, Any]]:
    """Every epoch's dev line of a run, in order."""
    log = run / "train.log" if run.is_dir() else run
    return [json.loads(found) for found in EPOCH_LINE.findall(log.read_text(encoding="utf-8"))]


def kept(run: Path, max_epoch: int | None) -> dict[str, Any]:
    """The epoch the trainer keeps, among the first `max_epoch`."""
    history = [entry for entry in epochs(run) if max_epoch is None or entry["epoch"] <= max_epoch]
    if not history:
        raise SystemExit(f"{run}: no epoch dev line; give a run folder of 'propscope train' or its log")
    return max(history, key=selection_key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", metavar="BASELINE=CHANGED")
    parser.add_argument("--max-epoch", type=int, default=None)
    args = parser.parse_args()
    differences: dict[str, list[float]] = {measure: [] for measure in MEASURES}
    print("| baseline | epoch | SI | TC | FLC | sentence | changed | epoch | SI | TC | FLC | sentence |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for pair in args.pairs:
        before_path, _, after_path = pair.partition("=")
        before, after = kept(Path(before_path), args.max_epoch), kept(Path(after_path), args.max_epoch)
        cells = [
            f"{Path(path).stem if Path(path).is_file() else Path(path).name} | {entry['epoch']} | "
            + " | ".join(f"{entry[measure]:.4f}" for measure in MEASURES)
            for path, entry in ((before_path, before), (after_path, after))
        ]
        print(f"| {cells[0]} | {cells[1]} |")
        for measure in MEASURES:
            differences[measure].append(after[measure] - before[measure])
    print()
    print("| paired difference (changed - baseline) | mean | smallest | largest | pairs above 0 |")
    print("| --- | --- | --- | --- | --- |")
    for measure, values in differences.items():
        above = sum(value > 0 for value in values)
        print(
            f"| {measure} | {statistics.mean(values):+.4f} | {min(values):+.4f} | {max(values):+.4f} | "
            f"{above} of {len(values)} |"
        )


if __name__ == "__main__":
    main()
