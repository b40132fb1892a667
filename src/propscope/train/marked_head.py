"""Fitting the span head to passages read marked in context by a finished encoder.

Training one encoder to tag tokens and to classify marked passages at once pulls it away from
tagging (`docs/BENCHMARKS.md`, lever 1). Here the encoder is left as it is: the encoder that
ships reads every training span between markers in its paragraph, and only the span head is
fitted to those vectors. Span finding stays exactly what it was; the technique of a passage
is read from the passage in its own context. `propscope ship --span-input marked` runs this
for each precision it compares, so a head always learns the vectors it will see.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from propscope import techniques
from propscope.detect.features import N_FEATURES
from propscope.detect.marked_spans import marked_head_inputs
from propscope.detect.predict import SpanHead
from propscope.detect.runtime import MODEL_FILE, ModelRuntime, onnx_run
from propscope.detect.windows import special_ids
from propscope.formats.annotated import span_corpus

log = logging.getLogger("propscope.train")


@dataclass(frozen=True)
class MarkedHeadSettings:
    """How the head is fitted; recorded in the model description. Chosen once from a small
    grid (epochs 4 to 20, learning rate 3e-4 or 1e-3, class balance 0 or 0.5) and kept at the
    training defaults where the grid did not separate them."""

    epochs: int = 16
    learning_rate: float = 3e-4
    batch_size: int = 32
    class_balance: float = 0.5
    dropout: float = 0.1
    weight_decay: float = 0.01
    seed: int = 13


def fit_marked_head(folder: Path, train_dir: Path, settings: MarkedHeadSettings | None = None) -> dict[str, Any]:
    """Refit `folder`'s span head on its own encoder's marked readings of the training spans,
    and mark the folder as classifying spans that way; returns what the description records."""
    settings = settings or MarkedHeadSettings()
    runtime = ModelRuntime.load(folder, spin=False)
    names = techniques.scheme(runtime.scheme).names
    index = {name: i for i, name in enumerate(names)}
    corpus = span_corpus(train_dir, runtime.scheme, "train")
    run, specials = onnx_run(runtime.session), special_ids(runtime.tokenizer)
    inputs, targets = [], []
    for article_id, spans in corpus.tc_spans().items():
        if spans:
            text = corpus.articles[article_id].text
            inputs.append(marked_head_inputs(runtime.tokenizer, run, specials, text, [(s.start, s.end) for s in spans]))
            targets += [index[s.technique] for s in spans]
    log.info("marked span head: %d training spans read by %s", len(targets), folder.name)
    head = train_head(np.concatenate(inputs), np.asarray(targets), names, settings)
    np.savez(folder / "span_head.npz", w1=head.w1, b1=head.b1, w2=head.w2, b2=head.b2)
    recorded = asdict(settings) | {"spans": len(targets)}
    description = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    description.update(span_input="marked", marked_head=recorded)
    (folder / MODEL_FILE).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    return recorded


def train_head(
    inputs: NDArray[np.float32], targets: NDArray[np.int64], names: tuple[str, ...], settings: MarkedHeadSettings
) -> SpanHead:
    """The span head's two layers, trained with class-weighted cross-entropy (as in training)."""
    import torch
    from torch import nn

    from propscope.train.loop import class_weights, head_to_numpy
    from propscope.train.model import span_head_layers

    torch.manual_seed(settings.seed)
    hidden = (inputs.shape[1] - N_FEATURES) // 2
    head = span_head_layers(inputs.shape[1], hidden, len(names), settings.dropout)
    model = nn.Sequential(nn.Dropout(settings.dropout), head)  # dropout on the inputs too, as in training
    weights = class_weights(targets.tolist(), settings.class_balance, len(names))
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
    generator = torch.Generator().manual_seed(settings.seed)
    model.train()
    for _ in range(settings.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch], weight=weights)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    return head_to_numpy(head, names)
