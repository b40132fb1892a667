"""Where FLC is lost: naming the passages the model finds, or finding them.

    python benchmarks/flc_headroom.py [MODEL_DIR] [--limit N]

Runs a SemEval-2020 model (default: the shipped one) over PTC dev and prints its FLC F1 next
to the FLC it would have if every passage it reports were named with the technique of the gold
span it overlaps most (same passages, same boundaries, same scores). The gap is what better
naming of found passages could win; what stays below 0.26 after it is lost to where passages
start and end and to passages never found. Then, for the reported passages that overlap gold:
how often the first technique is one the overlapping gold carries, and the commonest mix-ups;
last, for each technique, how many of its flags overlap any gold and their mean score (which
flags a reader should trust least, and whether their scores say so; `metrics.flags_by_technique`,
which the model card's table shows too).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope import metrics  # noqa: E402
from propscope.article import Span  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.runtime import ModelRuntime, default_model_dir  # noqa: E402
from propscope.evaluation import Gold, Predictions, evaluate, model_predictions  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402


def by_range(spans: list[Span]) -> dict[tuple[int, int], list[Span]]:
    """An article's reported spans grouped by passage, in the order `find_spans` lists them
    (a passage's first technique before its second; both carry the passage's score)."""
    grouped: dict[tuple[int, int], list[Span]] = {}
    for span in spans:
        grouped.setdefault((span.start, span.end), []).append(span)
    return grouped


def most_overlapped(start: int, end: int, gold: list[Span]) -> Span | None:
    """The gold span sharing the most characters with start-end (None when none overlaps)."""
    overlapping = [g for g in gold if g.overlaps(start, end)]
    return max(overlapping, key=lambda g: min(end, g.end) - max(start, g.start), default=None)


def named_by_gold(predicted: dict[str, list[Span]], gold: dict[str, list[Span]]) -> dict[str, list[Span]]:
    """Every reported passage renamed after the gold span it overlaps most; one span per
    passage, since the gold technique stands for all the labels the model gave it."""
    renamed: dict[str, list[Span]] = {}
    for article_id, spans in predicted.items():
        renamed[article_id] = []
        for (start, end), labelled in by_range(spans).items():
            match = most_overlapped(start, end, gold.get(article_id, []))
            technique = match.technique if match else labelled[0].technique
            renamed[article_id].append(Span(start, end, technique, labelled[0].score))
    return renamed


def flc_f1(gold: Gold, spans: dict[str, list[Span]], source: Path) -> float:
    ranges = {article_id: [(s.start, s.end) for s in article_spans] for article_id, article_spans in spans.items()}
    scores = evaluate(gold, Predictions(ranges=ranges, spans=spans, path=source), "flc")
    assert scores.flc is not None
    return scores.flc.f1


def naming_of_found(
    predicted: dict[str, list[Span]], gold: dict[str, list[Span]]
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Counts of reported passages by how their techniques meet the gold they overlap, and the
    (named, gold) pairs where neither technique is right."""
    outcomes: Counter[str] = Counter()
    mixups: Counter[tuple[str, str]] = Counter()
    for article_id, spans in predicted.items():
        for (start, end), labelled in by_range(spans).items():
            names = [span.technique for span in labelled]
            overlapping = {g.technique for g in gold.get(article_id, []) if g.overlaps(start, end)}
            if not overlapping:
                outcomes["overlaps no gold"] += 1
            elif names[0] in overlapping:
                outcomes["first technique right"] += 1
            elif any(name in overlapping for name in names[1:]):
                outcomes["second technique right"] += 1
            else:
                outcomes["neither right"] += 1
                match = most_overlapped(start, end, gold[article_id])
                assert match is not None
                mixups[(names[0], match.technique)] += 1
    return outcomes, mixups


def dev_predictions(description: str) -> tuple[Gold, Predictions]:
    """`[MODEL_DIR] [--limit N]` from the command line, the model's predictions on PTC dev and
    their gold (the `si_headroom.py` script reads them the same way); prints which model."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("model", nargs="?", default=str(default_model_dir()))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    runtime = ModelRuntime.load(Path(args.model))
    gold, predictions, _, _ = model_predictions(runtime, read_ptc_folder(Settings().ptc_folder("dev")), args.limit)
    print(f"Model {Path(args.model).name}, {len(gold.ranges)} dev articles\n")
    return gold, predictions


def main() -> None:
    gold, predictions = dev_predictions(__doc__.splitlines()[0])
    assert gold.spans is not None and predictions.spans is not None
    print("| reported passages named | FLC F1 |\n| --- | --- |")
    renamed = named_by_gold(predictions.spans, gold.spans)
    print(f"| by the model | {flc_f1(gold, predictions.spans, predictions.path):.4f} |")
    print(f"| after the gold span each overlaps most | {flc_f1(gold, renamed, predictions.path):.4f} |")
    outcomes, mixups = naming_of_found(predictions.spans, gold.spans)
    found = sum(outcomes.values()) - outcomes["overlaps no gold"]
    print("\n| reported passages | count | share of those overlapping gold |\n| --- | --- | --- |")
    for outcome in ("first technique right", "second technique right", "neither right"):
        print(f"| {outcome} | {outcomes[outcome]} | {outcomes[outcome] / max(1, found):.3f} |")
    print(f"| overlaps no gold | {outcomes['overlaps no gold']} | - |")
    print("\n| named | gold it overlaps most | passages |\n| --- | --- | --- |")
    for (named, truth), count in mixups.most_common(8):
        print(f"| {named} | {truth} | {count} |")
    print("\n| flagged as | flags | overlapping gold | share | mean score |\n| --- | --- | --- | --- | --- |")
    for name, flags in metrics.flags_by_technique(gold.ranges, predictions.spans).items():
        print(f"| {name} | {flags.flags} | {flags.overlapping_gold} | {flags.share:.2f} | {flags.mean_score:.2f} |")


if __name__ == "__main__":
    main()
