"""From how many occurrences a repeated phrase is labelled Repetition, and what naming it so gives.

    python benchmarks/repetition_rule.py [MODEL_DIR ...]

1. On PTC train alone (dev is not read), the share of gold spans labelled Repetition by how
   often the span's phrase occurs in its article. The smallest count whose share is over one
   half is where Repetition is the likelier label; `detect.predict.REPETITION_OCCURRENCES`
   must be that count.
2. For each model (default: the shipped SemEval-2020 one), its dev TC, FLC, SI and sentence F1,
   its Repetition TC F1 and, for a SemEval-2023 model, its subtask 3 micro-F1 (the measure that
   model is judged by), with the rule (Repetition named first for such phrases) and without it
   (the classifier's order), at the model's own thresholds, as `propscope evaluate` scores.
Prints Markdown tables for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.datastats import repetition_by_occurrences, repetition_majority  # noqa: E402
from propscope.detect import predict  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.evaluation import evaluate_model  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402

#: counts from this one on are shown together
LAST_ROW = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[None])
    args = parser.parse_args()
    settings = Settings()
    rows = repetition_by_occurrences(read_ptc_folder(settings.ptc_folder("train")), LAST_ROW)
    majority = repetition_majority(rows)
    print("PTC train gold spans by how often their phrase occurs in the article\n")
    print("| occurrences | gold spans | Repetition | share |")
    print("| --- | --- | --- | --- |")
    for count, (n, repetition) in rows.items():
        shown = f"{count} or more" if count == LAST_ROW else str(count)
        print(f"| {shown} | {n:,} | {repetition:,} | {repetition / n:.3f} |")
    print(f"\nRepetition is the majority label from {majority} occurrences on.")
    if majority != predict.REPETITION_OCCURRENCES:
        sys.exit(f"REPETITION_OCCURRENCES is {predict.REPETITION_OCCURRENCES}, train says {majority}")
    print("\n| model | rule | TC F1 | Repetition TC F1 | FLC F1 | SI F1 | sentence F1 | subtask 3 micro-F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for model in args.models:
        runtime = ModelRuntime.load(Path(model) if model else None)
        dev = settings.dev_folder(runtime.scheme)
        for rule, cut in (("without", 10**9), ("with", predict.REPETITION_OCCURRENCES)):
            with mock.patch.object(predict, "REPETITION_OCCURRENCES", cut):
                scores = evaluate_model(runtime, dev, split="dev")
            assert scores.tc is not None
            f1 = scores.f1()
            repetition_f1 = scores.tc.per_technique.get(predict.REPETITION, 0.0)
            paragraphs = f"{scores.paragraphs.micro_f1:.4f}" if scores.paragraphs is not None else "-"
            print(
                f"| {runtime.model_id} | {rule} | {f1['tc']:.4f} | {repetition_f1:.4f} | {f1['flc']:.4f} "
                f"| {f1['si']:.4f} | {f1['sentence']:.4f} | {paragraphs} |"
            )


if __name__ == "__main__":
    main()
