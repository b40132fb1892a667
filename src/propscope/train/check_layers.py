"""Fitting the passage check's own encoder layers (`detect.check_layers`) to a shipped model.

The top `layers` of the model's base encoder (not of its tagger, which learnt to tag tokens)
are fine-tuned to say whether a candidate passage overlaps what annotators marked, reading the
shipped encoder's (int8) vectors below them for the passage marked in its context, exactly as
the model will read them. The examples are the candidates taggers trained apart propose in the
training articles they never saw, labelled by overlap with gold: the false alarms a tagger
makes on articles it has not seen (`propscope refit --check-out-of-fold` learns from the same).
The layers and a two-output head on the marked pooling are exported to ONNX and quantised as
the encoder is; the encoder gets one more output, the vectors they read (the same weights).
On PTC this raised dev SI, FLC and sentence F1 on two seeds (`benchmarks/finetuned_check.py`).
"""

from __future__ import annotations

import logging
import math
import os
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from numpy.typing import NDArray

from propscope import metrics
from propscope.detect.check_layers import CHECK_INPUT, CHECK_LAYERS_FILE
from propscope.detect.marked_spans import MarkedReader, marked_input
from propscope.detect.predict import candidate_passages
from propscope.detect.runtime import ENCODER_FILE, ModelRuntime, onnx_run, onnx_session
from propscope.errors import InputError
from propscope.formats.annotated import span_corpus
from propscope.train.base import resolve_base, sha256
from propscope.train.marked_head import record_in_description

log = logging.getLogger("propscope.train")


@dataclass(frozen=True)
class CheckLayersSettings:
    """How the layers are fitted and the share of their verdict in the one used; recorded in
    the model description. Two layers, two epochs at 5e-5 and a half share are the probe's
    best (`docs/BENCHMARKS.md`): one layer gave less at the shipped check weight, and their
    verdict alone lost a true finding of the seed article."""

    layers: int = 2
    epochs: int = 2
    learning_rate: float = 5e-5
    batch_size: int = 32
    seed: int = 13
    share: float = 0.5


@dataclass(frozen=True)
class Example:
    """One marked passage: the encoder's vectors below the layers ([CLS] ... [SEP]), the
    [first, last) positions of the passage's own tokens in them, and whether it overlaps gold."""

    below: NDArray[np.float16]
    first: int
    last: int
    label: int


class TopLayers(torch.nn.Module):
    """The top `layers` of a BERT-style `base` encoder and a two-output head on the marked
    pooling (the passage's mean vector, the whole input's)."""

    def __init__(self, base: str, layers: int) -> None:
        super().__init__()
        from transformers import AutoModel

        encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
        depth = len(encoder.encoder.layer)
        self.layers = torch.nn.ModuleList(encoder.encoder.layer[depth - layers :])
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


class Verdict(torch.nn.Module):
    """What ships: the probability of "overlaps a technique", the input the ONNX graph takes."""

    def __init__(self, layers: TopLayers) -> None:
        super().__init__()
        self.layers = layers

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor, span: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.layers(hidden, mask, span), -1)[:, 1]


def check_input_name(model: onnx.ModelProto, layers: int, source: Path) -> str:
    """The tensor the top `layers` of the encoder graph `model` (read from `source`) read: the
    output of the last LayerNormalization of the layer below them (a BERT-style graph names its
    nodes `.../layer.N/...`)."""
    last: dict[int, str] = {}
    for node in model.graph.node:
        if node.op_type == "LayerNormalization" and "/layer." in node.name:
            index = node.name.split("/layer.")[1].split("/")[0]
            if index.isdigit():
                last[int(index)] = node.output[0]
    depth = len(last)
    if not 0 < layers < depth:
        raise InputError(f"is an encoder of {depth} layers; give --layers from 1 to {depth - 1}", path=source)
    return last[depth - layers - 1]


def with_check_input(source: Path, target: Path, layers: int) -> None:
    """Write the encoder at `source` to `target` with one more output, `CHECK_INPUT`: its
    vectors below the top `layers` (an existing one is replaced)."""
    model = onnx.load(str(source))
    for index in [i for i, out in enumerate(model.graph.output) if out.name == CHECK_INPUT][::-1]:
        del model.graph.output[index]
    for index in [i for i, node in enumerate(model.graph.node) if CHECK_INPUT in node.output][::-1]:
        del model.graph.node[index]
    model.graph.node.append(onnx.helper.make_node("Identity", [check_input_name(model, layers, source)], [CHECK_INPUT]))
    hidden = model.graph.output[1].type.tensor_type.shape.dim[-1].dim_value
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(CHECK_INPUT, onnx.TensorProto.FLOAT, ["batch", "sequence", hidden])
    )
    onnx.save(model, str(target))


def check_input_reader(runtime: ModelRuntime, encoder: Path) -> MarkedReader:
    """Reads passages marked in context with `encoder` (the model's, with `CHECK_INPUT`), its
    ONNX Runtime threads not spinning (torch runs in the same process)."""
    session = onnx_session(encoder, os.cpu_count() or 1, spin=False)
    return MarkedReader(runtime.tokenizer, onnx_run(session, check_input=True))


def passage_example(reader: MarkedReader, text: str, start: int, end: int, label: int = 0) -> Example:
    """The passage [start, end) of `text` read marked by a `check_input_reader`, as an example."""
    item = marked_input(reader.tokenizer, text, start, end)
    return Example(np.asarray(reader.outputs(item)[2][0], np.float16), item.first, item.last, label)


def examples(
    reader: MarkedReader, scheme: str, proposers: Sequence[tuple[Path, Path]], extend: float, max_gap: int
) -> tuple[list[Example], list[dict[str, Any]]]:
    """The candidates each (tagger, PTC folder of training articles it never trained on)
    proposes, read by a `check_input_reader`, and what was read from each."""
    found: list[Example] = []
    counts = []
    for tagger, folder in proposers:
        corpus = span_corpus(folder, scheme, "train")
        gold = corpus.si_spans()
        ids = sorted(corpus.articles)
        texts = [corpus.articles[a].text for a in ids]
        before = len(found)
        proposer = ModelRuntime.load(tagger, spin=False)
        for article_id, text, encoded in zip(ids, texts, proposer.encode_many(texts), strict=True):
            for start, end, _ in candidate_passages(text, encoded, extend, max_gap):
                overlaps = int(metrics.overlaps_any((start, end), gold[article_id]))
                found.append(passage_example(reader, text, start, end, overlaps))
        part = found[before:]
        counts.append(
            {
                "tagger": tagger.name,
                "articles": len(ids),
                "passages": len(part),
                "overlapping_gold": sum(e.label for e in part),
            }
        )
        log.info("check layers: %d candidate passages from %s", len(part), tagger.name)
    return found, counts


def padded(batch: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Vectors, attention mask and passage-token mask of `batch`, right-padded."""
    width = max(len(e.below) for e in batch)
    hidden = torch.zeros(len(batch), width, batch[0].below.shape[1])
    mask = torch.zeros(len(batch), width)
    span = torch.zeros(len(batch), width)
    for row, example in enumerate(batch):
        hidden[row, : len(example.below)] = torch.from_numpy(example.below.astype(np.float32))
        mask[row, : len(example.below)] = 1
        span[row, example.first : example.last] = 1
    return hidden, mask, span


def fitted_layers(base: str, found: list[Example], settings: CheckLayersSettings) -> TopLayers:
    """The top `settings.layers` of `base` and their head, fine-tuned on `found`, everything
    random (the head's start, dropout, the order of examples) drawn from `settings.seed`."""
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    model = TopLayers(base, settings.layers)
    fine_tune(model, found, settings)
    return model


def fine_tune(model: TopLayers, found: list[Example], settings: CheckLayersSettings) -> None:
    """AdamW with 10% warm-up and linear decay, cross-entropy on overlaps-gold."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    steps = settings.epochs * math.ceil(len(found) / settings.batch_size)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    model.train()
    order = list(found)
    for epoch in range(settings.epochs):
        random.shuffle(order)
        for at in range(0, len(order), settings.batch_size):
            batch = order[at : at + settings.batch_size]
            labels = torch.tensor([e.label for e in batch])
            loss = torch.nn.functional.cross_entropy(model(*padded(batch)), labels)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        log.info("check layers: epoch %d of %d done, last batch loss %.4f", epoch + 1, settings.epochs, loss.item())
    model.eval()


def export_layers(model: TopLayers, target: Path) -> None:
    """The layers and head as an int8 ONNX graph (quantised as the encoder is) of hidden,
    mask and span (batch, sequence[, hidden]) to the probability of "overlaps a technique"."""
    from propscope.train.quantize import quantize_encoder

    float_path = target.with_suffix(".fp32.onnx")
    width = model.out.in_features // 2
    inputs = (torch.zeros(2, 8, width), torch.ones(2, 8), torch.ones(2, 8))
    torch.onnx.export(
        Verdict(model).eval(),
        inputs,
        str(float_path),
        input_names=["hidden", "mask", "span"],
        output_names=["verdict"],
        dynamic_axes={
            "hidden": {0: "batch", 1: "sequence"},
            "mask": {0: "batch", 1: "sequence"},
            "span": {0: "batch", 1: "sequence"},
            "verdict": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    quantize_encoder(float_path, target)
    float_path.unlink()


def fit_check_layers(
    folder: Path, proposers: Sequence[tuple[Path, Path]], settings: CheckLayersSettings | None = None
) -> dict[str, Any]:
    """Give the shipped marked model in `folder` check layers fitted on the candidates of
    `proposers` (see the module); returns what the description records under "check_layers".
    The encoder is replaced (with its new output) only once the layers are written."""
    settings = settings or CheckLayersSettings()
    runtime = ModelRuntime.load(folder, spin=False)
    recorded_check = runtime.description.get("passage_check")
    if recorded_check is None:
        raise InputError("has no passage check to give layers to; ship it with --span-input marked", path=folder)
    encoder = folder / f".{ENCODER_FILE}.partial"
    try:
        with_check_input(folder / ENCODER_FILE, encoder, settings.layers)
        extend, max_gap = float(recorded_check["extend"]), int(recorded_check["max_gap"])
        found, counts = examples(check_input_reader(runtime, encoder), runtime.scheme, proposers, extend, max_gap)
        if not found:
            raise InputError(
                "the taggers proposed no candidate passages in their folds; nothing to learn from", path=folder
            )
        model = fitted_layers(resolve_base(str(runtime.description["base"])), found, settings)
        export_layers(model, folder / CHECK_LAYERS_FILE)
        encoder.replace(folder / ENCODER_FILE)
    finally:
        encoder.unlink(missing_ok=True)
    recorded = asdict(settings) | {"out_of_fold": counts}
    record_in_description(folder, check_layers=recorded, encoder_sha256=sha256(folder / ENCODER_FILE))
    return recorded
