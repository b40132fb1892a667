"""Could the marked reading move a passage's edges closer to where annotators put them?

    python benchmarks/edge_moves.py [--out-of-fold TAGGER=FOLDER ...] [--ridges 300 3000 30000]
        [--margins 0 0.02 0.05]

`benchmarks/si_headroom.py` shows that edges cost SI as much as false alarms do. This measures
one way to place them better at no extra encoder call: the marked reading of a passage (which
decoding already computes to check and name it) has vectors at and around its markers. For
each passage, an edge may move by one or two word pieces either way (whole words, same line,
never onto only function words); one ridge regression per edge and move predicts the move's
gain in character overlap (Dice) with the gold spans the passage overlaps, from nine of the
reading's vectors (`edge_vectors`). An edge moves when a move's predicted gain is that edge's
best and over a margin; both edges may move.

Fitted on train only: the candidates (peak at least 0.3, overlapping gold) that taggers
trained on half of train propose in the half they never saw (`--out-of-fold`, as `propscope
refit --check-out-of-fold` takes them; default runs/fold-1 and runs/fold-2), read by the
shipped encoder. Scored on dev: the shipped model's reported passages, moved, against the same
passages unmoved (same thresholds; SI as the official scorer scores it). Prints one JSON
object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope import metrics  # noqa: E402
from propscope.detect.function_words import only_function_words  # noqa: E402
from propscope.detect.marked_spans import marked_input  # noqa: E402
from propscope.detect.predict import candidate_passages  # noqa: E402
from propscope.detect.runtime import ModelRuntime, onnx_run  # noqa: E402
from propscope.detect.windows import TokenizedText, frame_rows, special_ids, tokenize  # noqa: E402
from propscope.formats.ptc import merge_overlapping, read_ptc_folder  # noqa: E402

#: word pieces an edge may move by (negative: towards the start of the text)
MOVES = (-2, -1, 1, 2)
#: out-of-fold candidates learnt from: peaks at least this high (the shipped model reports
#: few below it) that overlap gold (edges of false alarms teach nothing)
MIN_PEAK = 0.3

Move = tuple[int, int]  # (start move, end move)


def moved_ranges(text: str, tokens: TokenizedText, start: int, end: int) -> dict[Move, tuple[int, int]]:
    """The ranges that moving either edge, both or neither makes of start-end: whole words,
    within the line, not only function words."""
    offsets = tokens.offsets
    first = int(np.searchsorted(offsets[:, 1], start, side="right"))
    last = int(np.searchsorted(offsets[:, 0], end))

    def broken(a: int, b: int) -> bool:
        return "\n" in text[int(offsets[a][0]) : int(offsets[b][1])]

    ranges: dict[Move, tuple[int, int]] = {}
    for move in [(m, n) for m in (0, *MOVES) for n in (0, *MOVES)]:
        a, b = first + move[0], last + move[1]
        if a < 0 or b > len(offsets) or b - a < 1 or broken(min(a, first), max(b, last) - 1):
            continue
        s, e = int(offsets[a][0]), int(offsets[b - 1][1])
        inside_word = (s > 0 and text[s - 1].isalnum() and text[s].isalnum()) or (
            e < len(text) and text[e].isalnum() and text[e - 1].isalnum()
        )
        if not inside_word and not only_function_words(text[s:e]):
            ranges[move] = (s, e)
    return ranges


def dice(start: int, end: int, gold: list[tuple[int, int]]) -> float:
    """Character Dice of start-end with the (merged) gold spans given."""
    length = sum(e - s for s, e in gold)
    overlap = sum(max(0, min(end, e) - max(start, s)) for s, e in gold)
    return 2 * overlap / (end - start + length) if length else 0.0


def edge_vectors(runtime: ModelRuntime, text: str, start: int, end: int) -> NDArray[np.float32]:
    """Nine vectors of the passage's marked reading: the two tokens before and the two after
    each edge of the span (the markers among them) and the span's mean."""
    item = marked_input(runtime.tokenizer, text, start, end)
    hidden = onnx_run(runtime.session)(*frame_rows([item.ids], *special_ids(runtime.tokenizer)))[1][0]
    hidden = hidden.astype(np.float32)
    edges = [item.first + k for k in (-2, -1, 0, 1)] + [item.last + k for k in (-2, -1, 0, 1)]
    rows = [hidden[min(max(k, 0), len(hidden) - 1)] for k in edges]
    return np.concatenate([*rows, hidden[item.first : item.last].mean(axis=0)])


def out_of_fold_examples(
    shipped: ModelRuntime, pairs: list[tuple[Path, Path]], gold_folder: Path
) -> tuple[NDArray[np.float32], list[dict[Move, float]]]:
    """Edge vectors of the taggers' out-of-fold candidates, and each move's gain in Dice."""
    gold = read_ptc_folder(gold_folder).si_spans()
    inputs, gains = [], []
    extend, max_gap = shipped.thresholds.run_threshold, shipped.thresholds.max_gap
    for tagger_folder, fold in pairs:
        tagger = ModelRuntime.load(tagger_folder, spin=False)
        articles = read_ptc_folder(fold).articles
        for article_id in sorted(articles):
            text = articles[article_id].text
            spans = merge_overlapping(gold.get(article_id, []))
            tokens = tokenize(shipped.tokenizer, text)
            for start, end, peak in candidate_passages(text, tagger.encode_many([text])[0], extend, max_gap):
                overlapping = [(s, e) for s, e in spans if s < end and start < e]
                ranges = moved_ranges(text, tokens, start, end) if peak >= MIN_PEAK and overlapping else {}
                if (0, 0) not in ranges:
                    continue
                inputs.append(edge_vectors(shipped, text, start, end))
                unmoved = dice(*ranges[(0, 0)], overlapping)
                gains.append({move: dice(s, e, overlapping) - unmoved for move, (s, e) in ranges.items()})
    return np.stack(inputs), gains


def fit_moves(inputs: NDArray[np.float32], gains: list[dict[Move, float]], ridge: float) -> dict[Move, Any]:
    """One ridge regression per edge move, on standardised inputs, over the examples that allow it."""
    scaler = StandardScaler().fit(inputs)
    standard = scaler.transform(inputs)
    models: dict[Move, Any] = {}
    for move in [(m, 0) for m in MOVES] + [(0, m) for m in MOVES]:
        allowed = np.asarray([move in gain for gain in gains])
        target = np.asarray([gain.get(move, 0.0) for gain in gains])
        models[move] = (scaler, Ridge(alpha=ridge).fit(standard[allowed], target[allowed]))
    return models


def chosen_move(models: dict[Move, Any], vectors: NDArray[np.float32], allowed: set[Move], margin: float) -> Move:
    """Each edge's best allowed move when its predicted gain is over `margin`, else none."""
    predicted = {
        move: float(ridge.predict(scaler.transform(vectors[None]))[0])
        for move, (scaler, ridge) in models.items()
        if move in allowed
    }
    start = max((m for m in predicted if m[1] == 0), key=predicted.__getitem__, default=(0, 0))
    end = max((m for m in predicted if m[0] == 0), key=predicted.__getitem__, default=(0, 0))
    first = start[0] if predicted.get(start, 0.0) > margin else 0
    second = end[1] if predicted.get(end, 0.0) > margin else 0
    return (first, second) if (first, second) in allowed else (first, 0) if (first, 0) in allowed else (0, 0)


def rounded(scores: metrics.PRF) -> dict[str, float]:
    return {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4), "f1": round(scores.f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc-dir", type=Path, default=REPO.parent / "shared" / "data" / "ptc-semeval2020")
    parser.add_argument(
        "--out-of-fold", nargs="+", default=["runs/fold-1=runs/folds/fold-1/held", "runs/fold-2=runs/folds/fold-2/held"]
    )
    parser.add_argument("--ridges", type=float, nargs="+", default=[300.0, 3000.0, 30000.0])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.02, 0.05])
    args = parser.parse_args()
    shipped = ModelRuntime.load(None, threads=1, spin=False)
    pairs = [(Path(t), Path(f)) for t, f in (pair.split("=", 1) for pair in args.out_of_fold)]
    inputs, gains = out_of_fold_examples(shipped, pairs, args.ptc_dir / "train")
    dev = read_ptc_folder(args.ptc_dir / "dev")
    gold = dev.si_spans()
    passages = []  # (article, allowed moves and their ranges, edge vectors)
    for article_id in sorted(dev.articles):
        text = dev.articles[article_id].text
        encoded = shipped.encode_many([text])[0]
        tokens = tokenize(shipped.tokenizer, text)
        for start, end in sorted({(s.start, s.end) for s in shipped.spans(text, encoded)}):
            ranges = moved_ranges(text, tokens, start, end) or {(0, 0): (start, end)}
            ranges.setdefault((0, 0), (start, end))
            passages.append((article_id, ranges, edge_vectors(shipped, text, start, end)))
    unmoved = {a: [r[(0, 0)] for aid, r, _ in passages if aid == a] for a in dev.articles}
    rows = []
    for ridge in args.ridges:
        models = fit_moves(inputs, gains, ridge)
        for margin in args.margins:
            moved: dict[str, list[tuple[int, int]]] = {a: [] for a in dev.articles}
            count = 0
            for article_id, ranges, vectors in passages:
                move = chosen_move(models, vectors, set(ranges), margin)
                count += move != (0, 0)
                moved[article_id].append(ranges[move])
            si = metrics.span_identification(gold, moved)
            rows.append({"ridge": ridge, "margin": margin, "passages_moved": count, "si": rounded(si)})
    base = metrics.span_identification(gold, unmoved)
    print(
        json.dumps(
            {
                "train_examples": len(gains),
                "dev_passages": len(passages),
                "dev_si_unmoved": rounded(base),
                "rows": rows,
                "machine": describe(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
