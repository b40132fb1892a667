"""What a passage triage costs and saves on PTC dev, for several ridge penalties.

    python benchmarks/passage_triage.py [--model DIR] [--ridges 1 10 100 1000] [--lost-share 0.005]
        [--thresholds 0.1 0.2 0.5]

For a marked model with a passage check (any triage it has is set aside): the passages it
would read in the training articles, read once; for each ridge penalty, the margin
`propscope triage` would choose (cross-fitted on those articles) and, on dev, with the map
fitted on all of them: the share of the passages read without a triage that are no longer
read, how many reported passages are lost, and SI, FLC and sentence F1 against the same model
reading every passage. With `--thresholds`, the model's own triage at other span thresholds
(a user's `--threshold`): on dev, the passages read without a triage at that threshold, the
share the triage skips, and how many of those reported there it loses.
Speed is `benchmarks/detector_speed.py --engines onnx onnx-untriaged`.
Prints one JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope.detect.marked_spans import MarkedSpanClassifier  # noqa: E402
from propscope.detect.runtime import ModelRuntime, default_model_dir  # noqa: E402
from propscope.detect.triage import Triage  # noqa: E402
from propscope.detect.tuning import RememberingClassifier, encode_dev  # noqa: E402
from propscope.formats.annotated import span_corpus  # noqa: E402
from propscope.formats.ptc import PtcCorpus  # noqa: E402
from propscope.train.triage import (  # noqa: E402
    LOST_SHARE,
    TriageExamples,
    choose_margin,
    cross_fitted_log_odds,
    fit_linear,
    marked_checker,
    reported_examples,
    ruled_out,
    triage_examples,
)


def rounded(scores: dict[str, float]) -> dict[str, float]:
    return {task: round(value, 4) for task, value in scores.items() if task != "tc"}


def losses_at_threshold(
    runtime: ModelRuntime, classifier: MarkedSpanClassifier, dev_corpus: PtcCorpus, triage: Triage, threshold: float
) -> dict[str, Any]:
    """What the model's `triage` skips and loses on dev when the span threshold is `threshold`."""
    at = replace(runtime, thresholds=replace(runtime.thresholds, span=threshold))
    dev = triage_examples(at, classifier, dev_corpus)
    weight, calibration = classifier.check_weight, runtime.calibration
    reported = reported_examples(dev, weight, calibration, threshold)
    skipped = ruled_out(dev, triage.log_odds(dev.inputs), triage.margin, weight, calibration, threshold)
    return {
        "threshold": threshold,
        "dev_passages_read_untriaged": len(dev.verdicts),
        "dev_skipped_share": round(float(skipped.mean()), 4),
        "dev_reported": int(reported.sum()),
        "dev_reported_lost": int((skipped & reported).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--ptc-dir", type=Path, default=REPO.parent / "shared" / "data" / "ptc-semeval2020")
    parser.add_argument("--ridges", type=float, nargs="+", default=[1.0, 10.0, 100.0, 1000.0])
    parser.add_argument("--lost-share", type=float, default=LOST_SHARE)
    parser.add_argument("--thresholds", type=float, nargs="*", default=[])
    args = parser.parse_args()
    shipped = ModelRuntime.load(args.model, spin=False)
    if args.thresholds and shipped.triage is None:
        parser.error(f"{args.model} has no passage triage to measure at other thresholds; run propscope triage")
    runtime = replace(shipped, triage=None)
    classifier = marked_checker(runtime, args.model)
    started = time.perf_counter()
    train = triage_examples(runtime, classifier, span_corpus(args.ptc_dir / "train", runtime.scheme, "train"))
    dev_corpus = span_corpus(args.ptc_dir / "dev", runtime.scheme, "dev")
    dev: TriageExamples = triage_examples(runtime, classifier, dev_corpus)
    read_seconds = time.perf_counter() - started
    tuner, encoded = encode_dev(runtime, args.ptc_dir / "dev")
    remembering = RememberingClassifier(classifier)
    thresholds, calibration, weight = runtime.thresholds, runtime.calibration, classifier.check_weight
    untriaged = tuner.score(encoded, remembering, thresholds, calibration, with_tc=False).f1()
    dev_reported = reported_examples(dev, weight, calibration, thresholds.span)
    rows: list[dict[str, Any]] = []
    for ridge in args.ridges:
        choice = choose_margin(
            train, cross_fitted_log_odds(train, ridge), weight, calibration, thresholds.span, args.lost_share
        )
        triage = replace(fit_linear(train.inputs, train.verdicts, ridge), margin=choice.margin)
        skipped = ruled_out(dev, triage.log_odds(dev.inputs), choice.margin, weight, calibration, thresholds.span)
        scores = tuner.score(encoded, remembering, thresholds, calibration, with_tc=False, triage=triage).f1()
        rows.append(
            {
                "ridge": ridge,
                "margin": choice.margin,
                "train_cross_fitted": {
                    "lost_share": round(choice.lost_share, 4),
                    "skipped_share": round(choice.skipped_share, 4),
                },
                "dev_skipped_share": round(float(skipped.mean()), 4),
                "dev_reported_lost": int((skipped & dev_reported).sum()),
                "dev_f1": rounded(scores),
            }
        )
    own = shipped.triage  # there is one whenever thresholds are asked for (checked above)
    at_thresholds = (
        [losses_at_threshold(runtime, classifier, dev_corpus, own, threshold) for threshold in args.thresholds]
        if own is not None
        else []
    )
    print(
        json.dumps(
            {
                "model": str(args.model),
                "lost_share_allowed": args.lost_share,
                "train_passages_read": len(train.verdicts),
                "dev_passages_read": len(dev.verdicts),
                "dev_passages_reported": int(dev_reported.sum()),
                "reading_seconds": round(read_seconds),
                "untriaged_dev_f1": rounded(untriaged),
                "rows": rows,
                "model_triage_at_thresholds": at_thresholds,
                "machine": describe(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
