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
layers run in float PyTorch beside ONNX Runtime (its thread spinning off); a shipped form would
run them in int8. This is a probe of the lever, not a shipped path.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
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
from propscope.detect.marked_spans import MarkedInput, head_inputs, marked_input  # noqa: E402
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
from propscope.detect.windows import frame_rows, special_ids  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.techniques import DEFAULT_SCHEME  # noqa: E402
from propscope.train.base import resolve_base  # noqa: E402
from propscope.train.marked_head import PassageCheckSettings  # noqa: E402

#: (alpha on the fine-tuned verdict, check weight) of the table's rows; (0, 0.25) is the shipped check
ROWS = ((0.0, 0.25), (0.5, 0.25), (1.0, 0.25), (0.5, 0.5), (1.0, 0.5))


def boundary_name(layers: int) -> str:
    """The exported encoder's tensor after its layer 6 - `layers` (the embeddings for 6)."""
    below = 6 - layers
    if below == 0:
        return "/tagger/encoder/embeddings/LayerNorm/LayerNormalization_output_0"
    return f"/tagger/encoder/encoder/layer.{below - 1}/output/LayerNorm/LayerNormalization_output_0"


def boundary_session(folder: Path, layers: int) -> ort.InferenceSession:
    """The folder's encoder with the hidden vectors below the fine-tuned layers as its only output."""
    model = onnx.load(str(folder / "encoder.onnx"))
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_tensor_value_info(boundary_name(layers), onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Example:
    """One marked passage: the hidden vectors below the fine-tuned layers ([CLS] ... [SEP]), the
    [first, last) positions of the passage's own tokens in them, and whether it overlaps gold."""

    hidden: NDArray[np.float16]
    first: int
    last: int
    label: int


class BoundaryReader:
    """Marked passages read by the model's encoder up to the fine-tuned layers, one call each."""

    def __init__(self, runtime: ModelRuntime, session: ort.InferenceSession) -> None:
        self.tokenizer = runtime.tokenizer
        self.session = session
        self.specials = special_ids(runtime.tokenizer)

    def example(self, text: str, start: int, end: int, label: int = 0) -> Example:
        item: MarkedInput = marked_input(self.tokenizer, text, start, end)
        ids, mask = frame_rows([item.ids], *self.specials)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return Example(hidden[0].astype(np.float16), item.first, item.last, label)


class TopLayers(torch.nn.Module):
    """The top `layers` of the base encoder and a two-output head on the marked pooling."""

    def __init__(self, base: str, layers: int) -> None:
        super().__init__()
        from transformers import AutoModel

        encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
        self.layers = torch.nn.ModuleList(encoder.encoder.layer[6 - layers :])
        hidden = encoder.config.hidden_size
        self.dropout = torch.nn.Dropout(0.1)
        self.out = torch.nn.Linear(2 * hidden, 2)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, span: torch.Tensor) -> torch.Tensor:
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(hidden.dtype).min
        for layer in self.layers:
            out = layer(hidden, attention_mask=additive)
            hidden = out[0] if isinstance(out, tuple) else out
        weights = mask.unsqueeze(-1)
        whole = (hidden * weights).sum(1) / weights.sum(1)
        own = (hidden * span.unsqueeze(-1)).sum(1) / span.sum(1, keepdim=True).clamp(min=1)
        logits: torch.Tensor = self.out(self.dropout(torch.cat([own, whole], -1)))
        return logits


def padded(batch: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hidden vectors, attention mask and passage-token mask of `batch`, right-padded."""
    width = max(len(e.hidden) for e in batch)
    hidden = torch.zeros(len(batch), width, batch[0].hidden.shape[1])
    mask = torch.zeros(len(batch), width)
    span = torch.zeros(len(batch), width)
    for row, example in enumerate(batch):
        hidden[row, : len(example.hidden)] = torch.from_numpy(example.hidden.astype(np.float32))
        mask[row, : len(example.hidden)] = 1
        span[row, example.first : example.last] = 1
    return hidden, mask, span


def verdicts(model: TopLayers, examples: Sequence[Example], batch_size: int = 64) -> NDArray[np.float32]:
    """The fine-tuned check's probability that each example overlaps a technique."""
    model.eval()
    out = np.zeros(len(examples), np.float32)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].hidden))
    with torch.no_grad():
        for at in range(0, len(order), batch_size):
            rows = order[at : at + batch_size]
            logits = model(*padded([examples[i] for i in rows]))
            out[rows] = torch.softmax(logits, -1)[:, 1].numpy()
    return out


def fine_tune(
    model: TopLayers, examples: list[Example], epochs: int, learning_rate: float, batch_size: int = 32
) -> None:
    """AdamW with 10% warm-up and linear decay, cross-entropy on overlaps-gold."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    steps = epochs * math.ceil(len(examples) / batch_size)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    model.train()
    for epoch in range(epochs):
        random.shuffle(examples)
        for at in range(0, len(examples), batch_size):
            batch = examples[at : at + batch_size]
            labels = torch.tensor([e.label for e in batch])
            loss = torch.nn.functional.cross_entropy(model(*padded(batch)), labels)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        print(f"epoch {epoch + 1} of {epochs} done, last batch loss {loss.item():.4f}", file=sys.stderr, flush=True)


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

    reader: BoundaryReader
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
            found = verdicts(self.model, [self.reader.example(text, *r) for r in missing])
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
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    folder = Path(args.model) if args.model else default_model_dir(DEFAULT_SCHEME)
    runtime = ModelRuntime.load(folder, spin=False)
    reader = BoundaryReader(runtime, boundary_session(folder, args.layers))
    settings = PassageCheckSettings()
    examples: list[Example] = []
    for tagger, articles in args.out_of_fold:
        corpus = read_ptc_folder(articles)
        texts = {a: corpus.articles[a].text for a in corpus.articles}
        gold = corpus.si_spans()
        proposed = dict(
            zip(texts, ModelRuntime.load(tagger, spin=False).encode_many(list(texts.values())), strict=True)
        )
        for article_id, passages in candidates(texts, proposed, settings.extend, settings.max_gap).items():
            for start, end, _ in passages:
                overlaps = int(metrics.overlaps_any((start, end), gold[article_id]))
                examples.append(reader.example(texts[article_id], start, end, overlaps))
    tuner, encoded, seed, seed_encoded = dev_and_seed(runtime)
    dev_candidates = candidates(tuner.texts, encoded, settings.extend, settings.max_gap)
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
    model = TopLayers(resolve_base("minilm"), args.layers)
    fine_tune(model, examples, args.epochs, args.learning_rate)
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
