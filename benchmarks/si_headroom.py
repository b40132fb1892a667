"""Where SI is lost: passages that overlap no gold, or the edges of those that do.

    python benchmarks/si_headroom.py [MODEL_DIR] [--limit N]

Runs a SemEval-2020 model (default: the shipped one) over PTC dev and prints its SI and
sentence F1 next to what they would be if the passages it reports were corrected by an oracle
in one way at a time: the passages that overlap no gold span dropped (what a perfect passage
check could win), the others cut to the gold characters they cover (what trimming edges could
win), or replaced by the whole gold spans they overlap (what edges placed as annotators place
them could win, recall included). SI is scored as the official scorer scores it (predicted
passages merged where they overlap, partial credit by characters). `benchmarks/flc_headroom.py`
does the same for the techniques.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from flc_headroom import dev_predictions  # noqa: E402  (benchmarks/flc_headroom.py)

from propscope import metrics  # noqa: E402
from propscope.formats.ptc import merge_overlapping  # noqa: E402

Ranges = list[tuple[int, int]]
#: an oracle: (a reported passage, the merged gold spans it overlaps) -> what stands in its place
Oracle = Callable[[tuple[int, int], Ranges], Ranges]


def corrected(predicted: dict[str, Ranges], gold: dict[str, Ranges], oracle: Oracle) -> dict[str, Ranges]:
    """Each article's merged reported passages, each replaced by what `oracle` makes of it."""
    out: dict[str, Ranges] = {}
    for article_id, ranges in predicted.items():
        spans = merge_overlapping(gold.get(article_id, []))
        out[article_id] = []
        for start, end in merge_overlapping(ranges):
            overlapping = [(s, e) for s, e in spans if s < end and start < e]
            out[article_id] += oracle((start, end), overlapping)
    return out


ORACLES: dict[str, Oracle] = {
    "as reported": lambda passage, overlapping: [passage],
    "those overlapping no gold dropped": lambda passage, overlapping: [passage] if overlapping else [],
    "cut to the gold characters they cover": lambda passage, overlapping: (
        [(max(passage[0], s), min(passage[1], e)) for s, e in overlapping] or [passage]
    ),
    "replaced by the gold spans they overlap": lambda passage, overlapping: overlapping or [passage],
}


def main() -> None:
    gold, predictions = dev_predictions(__doc__.splitlines()[0])
    assert gold.texts is not None
    print("| reported passages | passages | SI P | SI R | SI F1 | sentence F1 |\n| --- | --- | --- | --- | --- | --- |")
    for name, oracle in ORACLES.items():
        ranges = corrected(predictions.ranges, gold.ranges, oracle)
        si = metrics.span_identification(gold.ranges, ranges)
        sentence = metrics.sentence_level(gold.texts, gold.ranges, ranges)
        print(f"| {name} | {si.predicted:,} | {si.precision:.4f} | {si.recall:.4f} | {si.f1:.4f} | {sentence.f1:.4f} |")


if __name__ == "__main__":
    main()
