"""Does a passage stay where it is when the reader lowers the threshold?

    python benchmarks/threshold_consistency.py [--model DIR] [--lower 0.1 0.2]

The report, the API and `propscope analyze --threshold` let a reader ask for more passages. A
passage reported at the model's own threshold should then still be reported, at the same
characters: only new passages should appear. For each dev article this analyses at the
model's threshold and at each lower one, and counts the passages of the first analysis that
are missing from the second or reported at other characters (docs/BENCHMARKS.md, "Passages
yield to higher-scored ones").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.detect.model import Detector  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.metrics import overlaps_any  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped one)")
    parser.add_argument("--lower", type=float, nargs="+", default=[0.1, 0.2])
    args = parser.parse_args()
    detector = Detector.load(args.model, threads=2)
    articles = read_ptc_folder(Settings().dev_folder(detector.scheme)).articles
    at_own = {aid: detector.analyze(article) for aid, article in sorted(articles.items())}
    reported = sum(len({(s.start, s.end) for s in a.spans}) for a in at_own.values())
    for lower in args.lower:
        below = detector.with_options(threshold=lower)
        moved = missing = 0
        for aid, analysis in at_own.items():
            lowered = below.analyze(articles[aid])
            wider = {(s.start, s.end) for s in lowered.spans}
            for start, end in {(s.start, s.end) for s in analysis.spans}:
                if (start, end) in wider:
                    continue
                overlapping = overlaps_any((start, end), list(wider))
                moved, missing = moved + overlapping, missing + (not overlapping)
        row = {
            "model_threshold": detector.threshold,
            "lower_threshold": lower,
            "passages_at_model_threshold": reported,
            "reported_at_other_characters": moved,
            "no_longer_reported": missing,
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
