"""What each decoding lever adds, on one model's dev outputs (the encoder runs once).

    python benchmarks/decoding_ablation.py [--model DIR]

Every variant tunes its own thresholds on dev for the same objective (SI + FLC + sentence F1):
1. plain: runs of tokens above one threshold, as propscope decoded before;
2. + words: passages made only of function words dropped, leading and trailing words that
   cannot start or end a phrase trimmed, words never cut at an apostrophe or hyphen;
3. + hysteresis: passages grow over weaker tokens around a confident core;
4. + calibration: scores mapped to probabilities (isotonic, on dev), threshold on that scale
   (what `propscope ship` does; it does not change which passages exist, only what a
   threshold means, so F1 moves only through the threshold grid).
Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.detect import decode, predict  # noqa: E402
from propscope.detect.calibration import UNCALIBRATED, Calibration  # noqa: E402
from propscope.detect.predict import Thresholds  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.detect.tuning import (  # noqa: E402
    GAPS,
    RAW_SPAN_THRESHOLDS,
    SECOND_TECHNIQUE_THRESHOLDS,
    DevTuner,
    RememberingClassifier,
    encode_dev,
)


def best_plain(tuner: DevTuner, encoded: dict, classifier: predict.SpanClassifier) -> Thresholds:  # type: ignore[type-arg]
    raw = max(
        (Thresholds(span=s, max_gap=g, second_technique=0.3) for g in GAPS for s in RAW_SPAN_THRESHOLDS),
        key=lambda t: tuner.objective(encoded, classifier, t, UNCALIBRATED),
    )
    return max(
        (replace(raw, second_technique=s) for s in SECOND_TECHNIQUE_THRESHOLDS),
        key=lambda t: tuner.objective(encoded, classifier, t, UNCALIBRATED),
    )


def old_words() -> mock._patch:  # type: ignore[type-arg]
    """Decoding without the function-word rules: no filter, no trims, words cut at joiners."""
    return mock.patch.multiple(
        "propscope.detect.decode",
        trim_dangling_end=lambda text, start, end: end,
        trim_dangling_start=lambda text, start, end: start,
        _JOINERS="",
    )


def row(name: str, scores: dict[str, float]) -> str:
    return f"| {name} | " + " | ".join(f"{scores[t]:.4f}" for t in ("si", "tc", "flc", "sentence")) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ptc-semeval2020" / "dev"))
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model)
    tuner, encoded = encode_dev(runtime, Path(args.data))
    classifier = RememberingClassifier(runtime.classifier)
    rows = []
    with old_words(), mock.patch.object(predict, "only_function_words", lambda text: False):
        plain = best_plain(tuner, encoded, classifier)
        rows.append(row("plain threshold", tuner.score(encoded, classifier, plain).f1()))
    rows.append(
        row("+ function-word rules", tuner.score(encoded, classifier, best_plain(tuner, encoded, classifier)).f1())
    )
    tuned, calibration, scores = tuner.tune(encoded, classifier)
    hysteresis = replace(tuned, span=_raw_equivalent(tuned, calibration))
    rows.append(row("+ hysteresis (raw threshold)", tuner.score(encoded, classifier, hysteresis).f1()))
    rows.append(row("+ calibration (threshold on the calibrated scale)", scores.f1()))
    print(f"Model {runtime.model_id}, {len(encoded)} dev articles; thresholds after all levers: {tuned}\n")
    print("| decoding | SI F1 | TC F1 | FLC F1 | sentence F1 |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    assert decode is not None  # the module patched above


def _raw_equivalent(thresholds: Thresholds, calibration: Calibration) -> float:
    """The raw peak at which the calibrated threshold is reached (the same passages, uncalibrated)."""
    for step in range(1001):
        if float(calibration.span(step / 1000)) >= thresholds.span:
            return step / 1000
    return 1.0


if __name__ == "__main__":
    main()
