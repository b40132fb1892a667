"""Would a passage check with encoder layers of its own raise SI, FLC and sentence F1 on PTC dev?

    python benchmarks/finetuned_check.py --out-of-fold TAGGER=FOLDER ... [--model DIR]
        [--layers K] [--epochs E] [--learning-rate LR] [--seed S]

The shipped check is a small head on the pooled marked reading of a frozen encoder that was
trained to tag tokens, not to judge passages. Here the top K layers of all-MiniLM-L6-v2 are
fine-tuned as the check instead. They read the model's own (int8) encoder's hidden vectors
after its layer 6 - K, from the call that reads each candidate passage marked in context, so a
shipped form would add K layers to each passage call and K layers' weights to the folder. The
examples are the candidates each out-of-fold TAGGER proposes in the training articles of its
FOLDER, which it never trained on, labelled by whether they overlap gold (as `propscope refit
--check-out-of-fold` labels them). The head pools as the marked reading does (mean of the
passage's vectors, mean of the input's) into two outputs.

It prints how well each verdict ranks the model's dev candidates (ROC AUC), then a Markdown
table: the model tuned on dev as shipping tunes it (as `passage_check_grid.py` tunes its rows,
so without the edge model), with the check's verdict replaced by the geometric mean of the
shipped check's verdict and the fine-tuned one (weight `alpha` on the fine-tuned one) at two
check weights, and which of the seed article's true findings each row keeps. The fine-tuned
layers run in float PyTorch beside ONNX Runtime (its thread spinning off). The examples and the
fine-tuning are those of the shipped form, `propscope check-layers` (`train.check_layers`),
which runs the layers in int8; the model probed must not have check layers yet (the default
model as of commit b18aa43, for the recorded rows).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from passage_check_grid import (  # noqa: E402
    RememberedReadings,
    dev_and_seed,
    f1_cells,
    marked_classifier,
    out_of_fold_argument,
    seed_cells,
)

from propscope import metrics  # noqa: E402
from propscope.detect.marked_spans import MarkedReader, head_inputs  # noqa: E402
from propscope.detect.predict import (  # noqa: E402
    Encoded,
    Passage,
    PassagesRead,
    candidate_passages,
    checked_scores,
    peaks_of,
    ranges_of,
)
from propscope.detect.runtime import ModelRuntime, default_model_dir  # noqa: E402
from propscope.techniques import DEFAULT_SCHEME  # noqa: E402
from propscope.train.base import resolve_base  # noqa: E402
from propscope.train.check_layers import (  # noqa: E402
    CheckLayersSettings,
    Example,
    TopLayers,
    check_input_reader,
    fitted_layers,
    padded,
    passage_example,
    with_check_input,
)
from propscope.train.check_layers import examples as check_examples  # noqa: E402
from propscope.train.marked_head import PassageCheckSettings  # noqa: E402

#: (alpha on the fine-tuned verdict, check weight) of the table's rows; (0, 0.25) is the shipped check
ROWS = ((0.0, 0.25), (0.5, 0.25), (1.0, 0.25), (0.5, 0.5), (1.0, 0.5))


def verdicts(model: TopLayers, examples: Sequence[Example], batch_size: int = 64) -> NDArray[np.float32]:
    """The fine-tuned check's probability that each example overlaps a technique."""
    model.eval()
    out = np.zeros(len(examples), np.float32)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].below))
    with torch.no_grad():
        for at in range(0, len(order), batch_size):
            rows = order[at : at + batch_size]
            logits = model(*padded([examples[i] for i in rows]))
            out[rows] = torch.softmax(logits, -1)[:, 1].numpy()
    return out


def candidates(
    texts: dict[str, str], encoded: dict[str, Encoded], extend: float, max_gap: int
) -> dict[str, list[Passage]]:
    """Every candidate passage of each article of `texts`, from its tagger outputs in `encoded`."""
    return {a: candidate_passages(text, encoded[a], extend, max_gap) for a, text in texts.items()}


@dataclass(kw_only=True)
class BlendedCheck(RememberedReadings):
    """The shipped classifier whose check verdict is the geometric mean of its own and the
    fine-tuned layers' (weight `alpha` on theirs), at check `weight`; both verdicts of a
    passage are computed once and remembered across the table's rows."""

    reader: MarkedReader
    model: TopLayers
    alpha: float = 0.0
    weight: float = 0.25
    remembered: dict[tuple[str, int, int], float] = field(default_factory=dict)

    @property
    def check_weight(self) -> float:
        return self.weight

    def shipped(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        """The shipped check's verdicts on `ranges` of `text`."""
        inputs = head_inputs(self.readings(text, ranges), text, ranges)
        return np.asarray(self.marked.verdicts(encoded, ranges, inputs), np.float32)

    def fine_tuned(self, text: str, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        """The fine-tuned layers' verdicts on `ranges` of `text`."""
        missing = [r for r in dict.fromkeys(ranges) if (text, *r) not in self.remembered]
        if missing:
            found = verdicts(self.model, [passage_example(self.reader, text, *r) for r in missing])
            self.remembered.update({(text, *r): float(v) for r, v in zip(missing, found, strict=True)})
        return np.asarray([self.remembered[(text, *r)] for r in ranges], np.float32)

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead:
        if not passages:
            return PassagesRead(np.zeros(0, np.float32), np.zeros((0, len(self.names)), np.float32), [])
        ranges = ranges_of(passages)
        inputs = head_inputs(self.readings(text, ranges), text, ranges)
        techniques = self.marked.techniques(encoded, ranges, inputs, found=True)
        verdict = self.marked.verdicts(encoded, ranges, inputs)
        if self.alpha:
            verdict = verdict ** (1 - self.alpha) * self.fine_tuned(text, ranges) ** self.alpha
        return PassagesRead(checked_scores(peaks_of(passages), verdict, self.weight), techniques, ranges)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--out-of-fold", nargs="+", required=True, type=out_of_fold_argument, metavar="TAGGER=FOLDER")
    parser.add_argument("--layers", type=int, default=2, choices=range(1, 7), help="top layers fine-tuned")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=4e-5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    torch.set_num_threads(2)
    folder = Path(args.model) if args.model else default_model_dir(DEFAULT_SCHEME)
    runtime = ModelRuntime.load(folder, spin=False)
    if runtime.check_layers is not None:
        parser.error(f"{folder} has check layers already; give a model without them with --model")
    settings = CheckLayersSettings(
        layers=args.layers, epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed
    )
    check = PassageCheckSettings()
    with tempfile.TemporaryDirectory() as scratch:
        encoder = Path(scratch) / "encoder.onnx"
        with_check_input(folder / "encoder.onnx", encoder, args.layers)
        reader = check_input_reader(runtime, encoder)
        examples, _ = check_examples(reader, runtime.scheme, args.out_of_fold, check.extend, check.max_gap)
    tuner, encoded, seed, seed_encoded = dev_and_seed(runtime)
    dev_candidates = candidates(tuner.texts, encoded, check.extend, check.max_gap)
    labels = np.asarray(
        [
            metrics.overlaps_any(r, tuner.gold_ranges[a])
            for a, passages in dev_candidates.items()
            for r in ranges_of(passages)
        ]
    )
    peaks = np.concatenate([peaks_of(passages) for passages in dev_candidates.values()])
    print(
        f"Model {runtime.model_id}; top {args.layers} layer(s) of {resolve_base('minilm')} fine-tuned on "
        f"{len(examples)} out-of-fold candidates ({sum(e.label for e in examples)} overlap gold), "
        f"{args.epochs} epochs, lr {args.learning_rate:g}, seed {args.seed}\n"
    )
    model = fitted_layers(resolve_base("minilm"), examples, settings)
    classifier = BlendedCheck(marked_classifier(runtime), reader=reader, model=model)
    read = [(tuner.texts[a], encoded[a], ranges_of(passages)) for a, passages in dev_candidates.items() if passages]
    shipped = np.concatenate([classifier.shipped(text, outputs, ranges) for text, outputs, ranges in read])
    tuned = np.concatenate([classifier.fine_tuned(text, ranges) for text, _, ranges in read])
    shipped_score = peaks**0.75 * shipped**0.25
    print(f"ROC AUC on the model's {len(labels)} dev candidates ({int(labels.sum())} overlap gold):\n")
    print("| ranking | AUC |\n| --- | --- |")
    for name, score in (
        ("peak alone", peaks),
        ("shipped check's verdict", shipped),
        ("fine-tuned check's verdict", tuned),
        ("peak^0.75 * shipped verdict^0.25 (the shipped raw score)", shipped_score),
        ("peak^0.75 * (shipped * fine-tuned)^0.125", peaks**0.75 * (shipped * tuned) ** 0.125),
        ("peak^0.5 * (shipped * fine-tuned)^0.25", peaks**0.5 * (shipped * tuned) ** 0.25),
    ):
        print(f"| {name} | {roc_auc_score(labels, score):.4f} |")
    columns = ("alpha", "check weight", "SI F1", "FLC F1", "sentence F1", "SI + FLC + sentence")
    print("\n| " + " | ".join(columns) + " | seed findings kept | seed words flagged alone |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for alpha, weight in ROWS:
        classifier.alpha, classifier.weight = alpha, weight
        thresholds, calibration, scores = tuner.tune(encoded, classifier)
        seed_row = seed_cells(seed, seed_encoded, classifier, thresholds, calibration)
        print(f"| {alpha:g} | {weight:g} | {f1_cells(scores.f1())} | {seed_row} |", flush=True)


if __name__ == "__main__":
    main()
