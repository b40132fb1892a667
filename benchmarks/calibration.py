"""How well a model's scores are calibrated on PTC dev, measured on articles the calibration
was not fitted on, with a reliability plot.

    python benchmarks/calibration.py [--model DIR] [--plot docs/calibration.png]

The dev articles are split into 5 folds; each fold is scored by isotonic maps fitted on the
other four (exactly the fitting `propscope ship` does on all of dev), for every candidate
passage (does a gold span overlap it?) and every sentence (does it contain one?). Prints the
expected calibration error (10 equal-width bins) of these cross-fitted scores and, as the
reference in the same run, of the raw, uncalibrated scores; draws both reliability curves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.detect.calibration import expected_calibration_error  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.detect.tuning import RememberingClassifier, encode_dev  # noqa: E402

BINS = 10


def reliability(scores: list[float], outcomes: list[bool]) -> list[dict[str, float]]:
    probability, outcome = np.asarray(scores), np.asarray(outcomes, dtype=float)
    index = np.minimum((probability * BINS).astype(int), BINS - 1)
    return [
        {
            "bin": round(b / BINS, 1),
            "count": int((index == b).sum()),
            "mean_score": round(float(probability[index == b].mean()), 4),
            "observed": round(float(outcome[index == b].mean()), 4),
        }
        for b in range(BINS)
        if (index == b).any()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ptc-semeval2020" / "dev"))
    parser.add_argument("--plot", default=None)
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model)
    tuner, encoded = encode_dev(runtime, Path(args.data))
    classifier = RememberingClassifier(runtime.classifier)  # each passage is read once
    check = tuner.check_calibration(encoded, classifier, runtime.thresholds)
    raw_spans, raw_sentences = tuner.outcomes(
        encoded, classifier, runtime.thresholds.run_threshold, runtime.thresholds.max_gap
    )
    shown = runtime.thresholds.span
    reported = [(s, o) for s, o in zip(check.span_scores, check.span_outcomes, strict=True) if s >= shown]
    result: dict[str, Any] = {
        "model": runtime.model_id,
        "articles": len(encoded),
        "spans": {
            "candidates": len(check.span_scores),
            "ece_cross_fitted": round(check.span_ece, 4),
            "ece_raw": round(
                expected_calibration_error(
                    np.asarray([r for r, _ in raw_spans]), np.asarray([o for _, o in raw_spans])
                ),
                4,
            ),
            "reported_at_default_threshold": len(reported),
            "ece_cross_fitted_reported": round(
                expected_calibration_error(np.asarray([s for s, _ in reported]), np.asarray([o for _, o in reported])),
                4,
            ),
            "reliability": reliability(check.span_scores, check.span_outcomes),
        },
        "sentences": {
            "count": len(check.sentence_scores),
            "ece_cross_fitted": round(check.sentence_ece, 4),
            "ece_raw": round(
                expected_calibration_error(
                    np.asarray([r for r, _ in raw_sentences]), np.asarray([o for _, o in raw_sentences])
                ),
                4,
            ),
            "reliability": reliability(check.sentence_scores, check.sentence_outcomes),
        },
    }
    print(json.dumps(result, indent=2))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, 2, figsize=(10, 4.5))
        for axis, (name, scores, outcomes, raw) in zip(
            axes,
            [
                ("spans", check.span_scores, check.span_outcomes, raw_spans),
                ("sentences", check.sentence_scores, check.sentence_outcomes, raw_sentences),
            ],
            strict=True,
        ):
            for label, points, style in (
                ("calibrated (cross-fitted)", reliability(scores, outcomes), "o-"),
                ("raw score", reliability([r for r, _ in raw], [o for _, o in raw]), "s--"),
            ):
                axis.plot([p["mean_score"] for p in points], [p["observed"] for p in points], style, label=label)
            axis.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
            axis.set(
                title=f"{name}: ECE {result[name]['ece_cross_fitted']:.3f} (raw {result[name]['ece_raw']:.3f})",
                xlabel="score",
                ylabel="observed share overlapping gold",
                xlim=(0, 1),
                ylim=(0, 1),
            )
            axis.legend(loc="upper left", fontsize=8)
        figure.suptitle(f"{runtime.model_id} on PTC dev ({len(encoded)} articles), 5-fold cross-fitted")
        figure.tight_layout()
        figure.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
