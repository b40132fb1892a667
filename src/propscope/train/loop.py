"""Fine-tuning, dev selection, threshold tuning and export: what `propscope train` runs.

Seeded and deterministic on CPU. After every epoch the model is scored on dev with the same
decoding that inference uses; the best epoch is kept, the SI threshold and second-technique
threshold are tuned on dev, and the result is exported to ONNX with its tokenizer, span head
and a model card.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from propscope.detect.encoding import encode_texts
from propscope.detect.predict import Encoded, SpanHead, Thresholds
from propscope.detect.tuning import DevTuner, f1_summary
from propscope.detect.windows import frame_rows, load_tokenizer, special_ids
from propscope.formats.ptc import PtcCorpus, read_ptc_folder
from propscope.train.base import resolve_base, verify_base_weights
from propscope.train.data import WindowExample, article_examples
from propscope.train.export import export_model
from propscope.train.model import PropagandaTagger

log = logging.getLogger("propscope.train")


#: Epochs are compared at their best span threshold from this grid: comparing at one fixed
#: threshold would punish an epoch for calibration, which threshold tuning fixes anyway.
SELECTION_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run; stored in the model folder."""

    base: str
    train_dir: str
    dev_dir: str
    epochs: int = 3
    learning_rate: float = 8e-5
    batch_size: int = 16
    window_tokens: int = 254
    train_stride: int = 200
    inference_stride: int = 192
    seed: int = 13
    span_loss_weight: float = 1.0
    limit_articles: int | None = None


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(examples: list[WindowExample], size: int, rng: random.Random) -> Iterator[list[WindowExample]]:
    order = list(range(len(examples)))
    rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [examples[i] for i in order[start : start + size]]


def collate(
    batch: list[WindowExample], cls_id: int, sep_id: int, pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    ids, mask = frame_rows([e.ids for e in batch], cls_id, sep_id, pad_id)
    labels = torch.zeros((*ids.shape, batch[0].labels.shape[1]))
    valid = torch.zeros(ids.shape)
    for row, example in enumerate(batch):
        n = len(example.ids)
        labels[row, 1 : n + 1] = torch.from_numpy(example.labels)
        valid[row, 1 : n + 1] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask), labels, valid


def token_loss(logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Presence (channel 0) at full weight plus the mean over the 14 technique channels.

    Averaging all 15 channels together would give presence, which decides the spans, a
    fifteenth of the gradient.
    """
    losses = nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    per_token = losses[..., 0] + losses[..., 1:].mean(-1)
    return (per_token * valid).sum() / valid.sum()


def pooled_spans(hidden: torch.Tensor, batch: list[WindowExample]) -> tuple[torch.Tensor, torch.Tensor] | None:
    rows, targets = [], []
    for row, example in enumerate(batch):
        for span in example.spans:
            vectors = hidden[row, span.first : span.last]
            rows.append(torch.cat([vectors.mean(0), vectors.max(0).values, torch.from_numpy(span.features)]))
            targets.append(span.technique)
    if not rows:
        return None
    return torch.stack(rows), torch.tensor(targets)


def head_to_numpy(model: PropagandaTagger) -> SpanHead:
    first, last = model.span_head[0], model.span_head[3]
    assert isinstance(first, nn.Linear) and isinstance(last, nn.Linear)
    return SpanHead(
        w1=first.weight.detach().numpy().copy(),
        b1=first.bias.detach().numpy().copy(),
        w2=last.weight.detach().numpy().copy(),
        b2=last.bias.detach().numpy().copy(),
    )


def encode_with_torch(
    model: PropagandaTagger, corpus: PtcCorpus, tokenizer: Tokenizer, config: TrainConfig
) -> dict[str, Encoded]:
    """Encoder outputs for every article of a folder, cut and stitched as inference does."""

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            logits, hidden = model(torch.from_numpy(ids), torch.from_numpy(mask))
        return torch.sigmoid(logits).numpy(), hidden.numpy()

    article_ids = list(corpus.articles)
    encoded = encode_texts(
        [corpus.articles[aid].text for aid in article_ids],
        tokenizer,
        run,
        window_tokens=config.window_tokens,
        stride=config.inference_stride,
        specials=special_ids(tokenizer),
    )
    return dict(zip(article_ids, encoded, strict=True))


def train(config: TrainConfig, out: Path) -> dict[str, Any]:
    """Train, select the best epoch on dev, tune thresholds, export; returns the run summary."""
    set_seed(config.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    base = resolve_base(config.base)
    base_sha256 = verify_base_weights(base)
    log.info("base %s, weights SHA-256 %s", base, base_sha256)
    tokenizer_path = str(Path(base) / "tokenizer.json")
    tokenizer = load_tokenizer(tokenizer_path)
    specials = special_ids(tokenizer)
    train_corpus = read_ptc_folder(Path(config.train_dir)).first(config.limit_articles)
    dev_corpus = read_ptc_folder(Path(config.dev_dir)).first(config.limit_articles)
    gold = train_corpus.tc_spans()
    examples = [
        example
        for article_id, article in train_corpus.articles.items()
        for example in article_examples(tokenizer, article, gold[article_id], config.window_tokens, config.train_stride)
    ]
    log.info("train: %d articles, %d windows", len(train_corpus.articles), len(examples))
    model = PropagandaTagger(base)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    steps = config.epochs * math.ceil(len(examples) / config.batch_size)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    tuner = DevTuner(dev_corpus)
    rng = random.Random(config.seed)
    history: list[dict[str, Any]] = []
    best_state: dict[str, torch.Tensor] | None = None
    best_key = -1.0
    out.mkdir(parents=True, exist_ok=True)
    for epoch in range(1, config.epochs + 1):
        model.train()
        started, seen_tokens = time.monotonic(), 0
        for step, batch in enumerate(batches(examples, config.batch_size, rng), start=1):
            ids, mask, labels, valid = collate(batch, *specials)
            logits, hidden = model(ids, mask)
            loss = token_loss(logits, labels, valid)
            pooled = pooled_spans(hidden, batch)
            if pooled is not None:
                loss = loss + config.span_loss_weight * nn.functional.cross_entropy(
                    model.span_logits(pooled[0]), pooled[1]
                )
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            seen_tokens += int(mask.sum())
            if step % 20 == 0:
                rate = seen_tokens / (time.monotonic() - started)
                log.info("epoch %d step %d loss %.4f (%.0f tokens/s)", epoch, step, float(loss), rate)
        model.eval()
        encoded = encode_with_torch(model, dev_corpus, tokenizer, config)
        head = head_to_numpy(model)
        scores = max(
            (tuner.score(encoded, head, Thresholds(span=t, second_technique=1.1)) for t in SELECTION_THRESHOLDS),
            key=lambda candidate: candidate["si"]["f1"],
        )
        history.append({"epoch": epoch, "seconds": round(time.monotonic() - started), **f1_summary(scores)})
        log.info("epoch %d dev (best of span thresholds %s): %s", epoch, SELECTION_THRESHOLDS, json.dumps(history[-1]))
        key = scores["si"]["f1"] + scores["tc"]["f1"]
        if key > best_key:
            best_key, best_state = key, {k: v.detach().clone() for k, v in model.state_dict().items()}
            torch.save(best_state, out / "checkpoint.pt")
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    head = head_to_numpy(model)
    thresholds, dev_scores = tuner.tune(encode_with_torch(model, dev_corpus, tokenizer, config), head)
    log.info("tuned thresholds %s: %s", thresholds, json.dumps(f1_summary(dev_scores)))
    summary = {
        "config": asdict(config) | {"base_sha256": base_sha256},
        "history": history,
        "thresholds": asdict(thresholds),
        "dev": dev_scores,
    }
    export_model(model, head, thresholds, base, out, summary)
    return summary
