"""Would a seed ensemble make a better distillation teacher than the best single run?

    python benchmarks/seed_ensemble.py RUN_DIR RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a folder written by `propscope train` (same base, so the same tokens). Prints,
as a Markdown table for docs/BENCHMARKS.md, each run's dev F1 and that of the average of the
first 2, 3, ... runs' token probabilities, every row with its own thresholds tuned on dev
exactly as `propscope train` tunes them. Techniques come from the first run's span head, so the
TC column of the ensemble rows is that run's. A teacher (`propscope train --teacher`) is only
worth its training hours if its row is clearly above the best single run.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.detect.predict import Encoded  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.detect.tuning import DevTuner, encode_dev  # noqa: E402


def averaged(runs: list[dict[str, Encoded]]) -> dict[str, Encoded]:
    """The first run's encodings with the runs' mean token probabilities."""
    return {
        article: replace(encoded, probabilities=np.mean([run[article].probabilities for run in runs], axis=0))
        for article, encoded in runs[0].items()
    }


def row(name: str, tuner: DevTuner, encoded: dict[str, Encoded], runtime: ModelRuntime) -> str:
    f1 = tuner.tune(encoded, runtime.classifier)[2].f1()
    return f"| {name} | {f1['si']:.4f} | {f1['tc']:.4f} | {f1['flc']:.4f} | {f1['sentence']:.4f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    dev = Settings().ptc_folder("dev")
    runtimes = [ModelRuntime.load(run, spin=False) for run in args.runs]
    tuner, first = encode_dev(runtimes[0], dev)
    encodings = [first] + [encode_dev(runtime, dev)[1] for runtime in runtimes[1:]]
    print("| tagger | SI F1 | TC F1 | FLC F1 | sentence F1 |\n| --- | --- | --- | --- | --- |")
    for run, runtime, encoded in zip(args.runs, runtimes, encodings, strict=True):
        print(row(run.name, tuner, encoded, runtime), flush=True)
    for n in range(2, len(args.runs) + 1):
        members = " + ".join(run.name for run in args.runs[:n])
        print(row(f"mean of {members}", tuner, averaged(encodings[:n]), runtimes[0]), flush=True)


if __name__ == "__main__":
    main()
