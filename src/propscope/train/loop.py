"""Fine-tuning, dev selection, threshold tuning and export: what `propscope train` runs.

Seeded and deterministic on CPU; on a GPU (`device`) the same recipe runs many times faster (a
run repeated on another H200 gave the same dev figures to the fourth decimal; resuming one there is
not bit-exact, as the CUDA random state is not saved). After every epoch the model is scored on dev with the same
decoding that inference uses; the best epoch is kept, the SI threshold and second-technique
threshold are tuned on dev, and the result is exported to ONNX with its tokenizer, span head
and a model card.
"""

from __future__ import annotations

import json
import logging
import math
import platform
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, fields
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from propscope import techniques
from propscope.detect.encoding import EncoderRun, encode_texts
from propscope.detect.marked_spans import MarkedReader, span_classifier
from propscope.detect.predict import Encoded, SpanClassifier, SpanHead, Thresholds
from propscope.detect.runtime import MODEL_FILE
from propscope.detect.tuning import DevTuner, RememberingClassifier
from propscope.detect.windows import frame_rows, load_tokenizer, special_ids
from propscope.errors import InputError
from propscope.evaluation import Evaluation
from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus
from propscope.train.base import resolve_base, verify_base_weights
from propscope.train.counts import corpus_counts
from propscope.train.data import MarkedExample, WindowExample, article_examples, marked_examples
from propscope.train.export import export_model
from propscope.train.model import PropagandaTagger, base_window_limit
from propscope.train.teacher import TeacherReader, ensemble_views
from propscope.train.windowing import WINDOW_DEFAULTS

log = logging.getLogger("propscope.train")


#: Epochs are compared at their best span threshold from this grid: comparing at one fixed
#: threshold would punish an epoch for calibration, which threshold tuning fixes anyway.
SELECTION_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
SPAN_INPUTS = ("pooled", "marked")
#: what judges a sentence that holds a technique in `sentence_loss`: its strongest token, its
#: strongest token inside a gold span, the mean of its gold tokens, their soft maximum, or
#: nothing (left to the token loss)
SENTENCE_CREDITS = ("strongest", "gold", "gold-mean", "gold-soft", "none")
#: temperature (in logit units) of the "gold-soft" credit's soft maximum: a token 2 logits below
#: the passage's strongest gets e^-1 of its lift, where "gold" gives it none and "gold-mean" as much
SOFT_CREDIT_TEMPERATURE = 2.0
Example = TypeVar("Example")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run; stored in the model folder."""

    base: str
    train_dir: str
    dev_dir: str
    epochs: int = 3
    learning_rate: float = 8e-5
    batch_size: int = 16
    window_tokens: int = WINDOW_DEFAULTS["window_tokens"]
    train_stride: int = WINDOW_DEFAULTS["train_stride"]
    inference_stride: int = WINDOW_DEFAULTS["inference_stride"]
    seed: int = 13
    #: the taxonomy the model learns: semeval2020 (PTC folders) or semeval2023 (its English
    #: folder, split into train and dev by dev-ids.txt)
    scheme: str = "semeval2020"
    span_loss_weight: float = 1.0
    #: weight of the loss on "does this sentence hold a technique" (its strongest token's presence
    #: logit, `sentence_loss`) next to the token loss; 0 leaves it out
    sentence_loss_weight: float = 0.0
    #: what a sentence that holds a technique is judged by: "strongest" (any token), "gold" (its
    #: strongest token inside a gold span), "gold-mean" (the mean of its gold tokens), "gold-soft"
    #: (their soft maximum) or "none" (left to the token loss); clean sentences always by their
    #: strongest token
    sentence_credit: str = "strongest"
    #: size of the adversarial step on the word embeddings (FGM: each batch is learnt again with
    #: the embeddings of its words moved this far along the loss's gradient, so that a span's
    #: verdict does not hang on the exact word); 0 leaves it out and halves the cost of a step
    adversarial_epsilon: float = 0.0
    #: Weight each technique's span loss by (largest class count / its count) ** this power:
    #: 0 is plain cross-entropy, 0.5 the square-root balance that lets rare techniques win.
    class_balance: float = 0.5
    #: a model folder written by `propscope train` whose outputs the student also learns from
    teacher: tuple[str, ...] = ()
    #: share of the teachers (averaged) in every target (token and span); the rest is the gold label
    distill_weight: float = 0.5
    limit_articles: int | None = None
    #: how the span head reads a span: "pooled" (the article's own hidden vectors, no extra
    #: encoder pass) or "marked" (each span re-read between markers in its context)
    span_input: str = "pooled"
    #: a run folder whose best weights (checkpoint.pt) the network starts from, instead of the base
    init: str | None = None
    #: stop once this many epochs in a row fail to beat the best one; the learning-rate schedule
    #: stays the one `epochs` plans, so a stopped run holds the same weights as the full run did then
    patience: int | None = None

    @classmethod
    def from_stored(cls, training: Mapping[str, Any], **changes: Any) -> TrainConfig:
        """The config a run folder's propscope-model.json keeps under "training", which also holds
        what the run recorded beside it (the base's SHA-256, the device) and lists where JSON has
        no tuples."""
        known = {f.name for f in fields(cls)}
        settings: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in training.items() if k in known
        }
        return cls(**settings | changes)

    def __post_init__(self) -> None:
        if self.span_input not in SPAN_INPUTS:
            raise ValueError(f"span_input must be one of {', '.join(SPAN_INPUTS)}, got {self.span_input!r}")
        if self.sentence_credit not in SENTENCE_CREDITS:
            choices = ", ".join(SENTENCE_CREDITS)
            raise ValueError(f"sentence_credit must be one of {choices}, got {self.sentence_credit!r}")


def teacher_summary(folder: Path) -> dict[str, Any]:
    """What the model card says about a teacher: its id, base encoder and dev F1."""
    taught_by = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    return {
        "model_id": taught_by["model_id"],
        "base": taught_by["base"],
        "dev_f1": {task: taught_by["dev"][task]["f1"] for task in ("si", "tc", "flc", "sentence")},
    }


def training_device(name: str) -> torch.device:
    """The device `--device` names: "auto" is the GPU when torch sees one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError("not a device torch knows; give cpu, cuda, cuda:N or auto", path=name) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("torch sees no CUDA GPU here; train with --device cpu (or auto)", path=name)
    return device


def training_environment(device: torch.device) -> dict[str, str]:
    """What a run's floats depend on besides its settings, for the card: a CPU run repeats to
    the bit with the same versions on the same machine, but the default recipe rerun in a new
    environment has come out different in the fourth decimal of its weights (docs/BENCHMARKS.md),
    and whoever retrains needs to know which versions made the shipped model."""
    packages = ("torch", "transformers", "tokenizers", "numpy")
    return {name: version(name) for name in packages} | {
        "python": platform.python_version(),
        "kernels": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"{platform.machine()} {torch.backends.cpu.get_cpu_capability()}",
    }


def device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def dealt(examples: list[Example], parts: int, rng: random.Random) -> list[list[Example]]:
    """`examples` shuffled and dealt into exactly `parts` batches of near-equal size, so that
    every optimisation step of an epoch gets one."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    return [[examples[i] for i in order[part::parts]] for part in range(parts)]


def batches(examples: list[WindowExample], size: int, rng: random.Random) -> Iterator[list[WindowExample]]:
    order = list(range(len(examples)))
    rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [examples[i] for i in order[start : start + size]]


def collate(
    batch: list[WindowExample], specials: tuple[int, int, int], distill_weight: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Framed ids, mask, per-token targets (gold mixed with the teacher's where there is one),
    the mask of real tokens, and each real token's sentence numbered across the batch (-1 elsewhere)."""
    ids, mask = frame_rows([e.ids for e in batch], *specials)
    labels = torch.zeros((*ids.shape, batch[0].labels.shape[1]))
    valid = torch.zeros(ids.shape)
    sentences = torch.full(ids.shape, -1, dtype=torch.long)
    numbered = 0
    for row, example in enumerate(batch):
        n = len(example.ids)
        labels[row, 1 : n + 1] = torch.from_numpy(mixed(example.labels, example.soft_labels, distill_weight))
        valid[row, 1 : n + 1] = 1
        sentences[row, 1 : n + 1] = torch.from_numpy(example.sentences) + numbered
        numbered += int(example.sentences.max(initial=-1)) + 1
    return torch.from_numpy(ids), torch.from_numpy(mask), labels, valid, sentences


def mixed(gold: np.ndarray, soft: np.ndarray | None, weight: float) -> np.ndarray:
    """(1 - weight) * gold + weight * teacher; cross-entropy is linear in its target, so this is
    the same as weighting a gold loss and a distillation loss."""
    return gold if soft is None else ((1.0 - weight) * gold + weight * soft).astype(np.float32)


def token_loss(logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Presence (channel 0) at full weight plus the mean over the 14 technique channels.

    Averaging all 15 channels together would give presence, which decides the spans, a
    fifteenth of the gradient.
    """
    losses = nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    per_token = losses[..., 0] + losses[..., 1:].mean(-1)
    return (per_token * valid).sum() / valid.sum()


def sentence_loss(
    logits: torch.Tensor, labels: torch.Tensor, sentences: torch.Tensor, credit: str = "strongest"
) -> torch.Tensor:
    """Does this sentence hold a technique, read off the presence channel: the sentence's
    strongest token logit against its strongest target.

    Token loss treats a lone false alarm in a clean sentence as one token among hundreds; the
    sentence F1 a reader sees counts it as a whole wrong sentence, and this loss does too.
    With credit "gold", a sentence that holds a technique is judged by its strongest token
    inside a gold span, so the loss never lifts a word outside the span (a lone "offensive"
    beside the real finding) for the sentence's sake. With "gold-mean" it is judged by the mean
    logit of its tokens inside gold spans, so the loss lifts the whole passage evenly rather than
    its one strongest word (a lone "heed" of "you'd better heed"). "gold-soft" lies between the
    two: the log-mean-exp of its gold tokens' logits at `SOFT_CREDIT_TEMPERATURE`, which still
    rewards one confident token but shares the lift with its weaker neighbours in the passage, in
    proportion to exp(logit / temperature). With "none" only clean sentences
    are judged (still averaged over all sentences, so their share of the loss is unchanged): the
    loss then lifts no token at all and only pushes down a clean sentence's strongest one."""
    inside = sentences >= 0
    groups, count = sentences[inside], int(sentences.max()) + 1
    presence, gold = logits[..., 0][inside], labels[..., 0][inside]
    floor = torch.full((count,), torch.finfo(logits.dtype).min, dtype=logits.dtype, device=logits.device)
    judged = floor.scatter_reduce(0, groups, presence, "amax")  # the strongest token's logit
    target = torch.zeros(count, dtype=labels.dtype, device=labels.device).scatter_reduce(0, groups, gold, "amax")
    holds, in_span = target > 0.5, gold > 0.5

    def per_sentence_sum(values: torch.Tensor) -> torch.Tensor:
        return torch.zeros(count, dtype=values.dtype, device=values.device).scatter_add(0, groups, values)

    in_gold = floor.scatter_reduce(0, groups, torch.where(in_span, presence, floor[0]), "amax")
    weights = in_span.to(presence.dtype)
    tokens = per_sentence_sum(weights).clamp(min=1.0)
    if credit == "gold":
        judged = torch.where(holds, in_gold, judged)
    elif credit == "gold-mean":
        judged = torch.where(holds, per_sentence_sum(presence * weights) / tokens, judged)
    elif credit == "gold-soft":
        # shifted by each sentence's strongest gold logit so that no exponential overflows; the
        # shift cancels out of the value, so it carries no gradient
        peak = torch.where(holds, in_gold, torch.zeros_like(in_gold)).detach()
        shifted = torch.where(in_span, presence - peak[groups], torch.zeros_like(presence))
        total = per_sentence_sum(torch.exp(shifted / SOFT_CREDIT_TEMPERATURE) * weights)
        # a clean sentence's total is 0: clamped, so that its unused log gives no NaN gradient
        soft = peak + SOFT_CREDIT_TEMPERATURE * torch.log((total / tokens).clamp(min=1e-12))
        judged = torch.where(holds, soft, judged)
    losses = nn.functional.binary_cross_entropy_with_logits(judged, target, reduction="none")
    if credit == "none":
        losses = torch.where(holds, torch.zeros_like(losses), losses)
    return losses.mean()


def window_batch_loss(
    model: PropagandaTagger,
    config: TrainConfig,
    tensors: tuple[torch.Tensor, ...],
    batch: list[WindowExample],
    marked_batch: list[MarkedExample] | None,
    specials: tuple[int, int, int],
    weights: torch.Tensor,
) -> torch.Tensor:
    """One step's loss: the tokens', the sentences' when weighted, and the spans' (read marked
    when the run reads them so, else pooled from this pass); a function so that the adversarial
    step can take it again on moved embeddings."""
    ids, mask, labels, valid, sentences = tensors
    logits, hidden = model(ids, mask)
    loss = token_loss(logits, labels, valid)
    if config.sentence_loss_weight:
        loss = loss + config.sentence_loss_weight * sentence_loss(logits, labels, sentences, config.sentence_credit)
    span_batch = (
        marked_spans(model, marked_batch, specials, config.distill_weight)
        if marked_batch is not None
        else pooled_spans(model, hidden, batch, config.distill_weight)
    )
    if span_batch is not None:
        span_loss = nn.functional.cross_entropy(span_batch[0], span_batch[1], weight=weights)
        loss = loss + config.span_loss_weight * span_loss
    return loss


@contextmanager
def embeddings_pushed_uphill(model: PropagandaTagger, epsilon: float) -> Iterator[None]:
    """Move the word-embedding rows the last backward pass touched by `epsilon` along their
    gradient (scaled to unit norm), and put them back afterwards: the fast gradient method of
    Miyato et al. (2017), whose extra loss on these worst-case neighbours is meant to make the
    tagger rely less on one exact word piece. A gradient of zero or not finite moves nothing."""
    table = model.encoder.get_input_embeddings().weight
    kept = table.data.clone()
    if table.grad is not None:
        norm = torch.linalg.vector_norm(table.grad)
        if torch.isfinite(norm) and norm > 0:
            table.data.add_(table.grad, alpha=epsilon / float(norm))
    try:
        yield
    finally:
        table.data.copy_(kept)


def class_weights(targets: Iterable[int], power: float, techniques: int) -> torch.Tensor:
    """Span-loss weight per technique, (largest count / count) ** power, from the techniques of
    the span targets as trained (a span seen in two windows counts twice).

    Without it the span head learns that Loaded_Language (a third of all spans) is always the
    safest answer and never predicts the seven rarest techniques."""
    counts = np.ones(techniques)
    for technique in targets:
        counts[technique] += 1
    return torch.tensor((counts.max() / counts) ** power, dtype=torch.float32)


def marked_spans(
    model: PropagandaTagger, batch: list[MarkedExample], specials: tuple[int, int, int], distill_weight: float
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Span-head logits for a batch of marked inputs (pooled as `pooled_marked` does at
    inference) and their target distributions."""
    if not batch:
        return None
    device = device_of(model)
    ids, mask = frame_rows([example.item.ids for example in batch], *specials)
    _, hidden = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
    rows, targets = [], []
    for row, example in enumerate(batch):
        item = example.item
        rows.append(
            torch.cat(
                [
                    hidden[row, item.first : item.last].mean(0),
                    hidden[row, : len(item.ids) + 2].mean(0),
                    torch.from_numpy(example.features).to(device),
                ]
            )
        )
        one_hot = np.eye(model.techniques, dtype=np.float32)[example.technique]
        targets.append(mixed(one_hot, example.soft, distill_weight))
    return model.span_logits(torch.stack(rows)), torch.from_numpy(np.stack(targets)).to(device)


def pooled_spans(
    model: PropagandaTagger, hidden: torch.Tensor, batch: list[WindowExample], distill_weight: float
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Span-head logits for the gold spans of a batch of windows, and their target distributions."""
    rows, targets = [], []
    for row, example in enumerate(batch):
        for span in example.spans:
            vectors = hidden[row, span.first : span.last]
            features = torch.from_numpy(span.features).to(hidden.device)
            rows.append(torch.cat([vectors.mean(0), vectors.max(0).values, features]))
            targets.append(mixed(np.eye(model.techniques, dtype=np.float32)[span.technique], span.soft, distill_weight))
    if not rows:
        return None
    return model.span_logits(torch.stack(rows)), torch.from_numpy(np.stack(targets)).to(hidden.device)


def head_to_numpy(layers: nn.Sequential, names: tuple[str, ...]) -> SpanHead:
    """The NumPy span head of inference from a trained `model.span_head_layers`."""
    first, last = layers[0], layers[3]
    assert isinstance(first, nn.Linear) and isinstance(last, nn.Linear)
    return SpanHead(
        w1=first.weight.detach().cpu().numpy().copy(),
        b1=first.bias.detach().cpu().numpy().copy(),
        w2=last.weight.detach().cpu().numpy().copy(),
        b2=last.bias.detach().cpu().numpy().copy(),
        names=names,
    )


def torch_run(model: PropagandaTagger) -> EncoderRun:
    """The network as the (input_ids, attention_mask) -> (probabilities, hidden) function
    that inference code calls."""

    device = device_of(model)

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            logits, hidden = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
        return torch.sigmoid(logits).cpu().numpy(), hidden.cpu().numpy()

    return run


def network_classifier(model: PropagandaTagger, tokenizer: Tokenizer, config: TrainConfig) -> SpanClassifier:
    """The span classifier of the network as it stands, as inference will use it."""
    head = head_to_numpy(model.span_head, techniques.scheme(config.scheme).names)
    return span_classifier(config.span_input, head, MarkedReader(tokenizer, torch_run(model)))


def encode_texts_with_torch(
    model: PropagandaTagger, texts: list[str], tokenizer: Tokenizer, config: TrainConfig
) -> list[Encoded]:
    """Encoder outputs for each text, cut into windows and stitched as inference does."""
    return encode_texts(
        texts,
        tokenizer,
        torch_run(model),
        window_tokens=config.window_tokens,
        stride=config.inference_stride,
        specials=special_ids(tokenizer),
        channels=1 + len(techniques.scheme(config.scheme).names),
    )


def encode_with_torch(
    model: PropagandaTagger, corpus: PtcCorpus, tokenizer: Tokenizer, config: TrainConfig
) -> dict[str, Encoded]:
    """Encoder outputs for every article of a folder."""
    article_ids = list(corpus.articles)
    encoded = encode_texts_with_torch(model, [corpus.articles[aid].text for aid in article_ids], tokenizer, config)
    return dict(zip(article_ids, encoded, strict=True))


@dataclass(frozen=True)
class TorchTeacher:
    """A teacher run folder read with torch on the training device rather than with ONNX Runtime
    on the CPU, where a large teacher's pass over the training articles would take the GPU
    machine's CPU its time. The pass still goes article by article (one article's windows per
    call, as inference reads them), so runs that share a teacher should share its cached targets
    (`benchmarks/gpu_teacher.sh` copies them) rather than each making them."""

    model: PropagandaTagger
    tokenizer: Tokenizer
    config: TrainConfig

    @classmethod
    def load(cls, folder: Path, device: torch.device) -> TorchTeacher:
        config = TrainConfig.from_stored(json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))["training"])
        model = PropagandaTagger(resolve_base(config.base), len(techniques.scheme(config.scheme).names))
        model.load_state_dict(torch.load(folder / "checkpoint.pt", weights_only=True, map_location="cpu"))
        log.info("teacher %s read with torch on %s", folder, device)
        return cls(model.to(device).eval(), load_tokenizer(str(folder / "tokenizer.json")), config)

    def encode_many(self, texts: Sequence[str]) -> list[Encoded]:
        return encode_texts_with_torch(self.model, list(texts), self.tokenizer, self.config)

    @property
    def classifier(self) -> SpanClassifier:
        return network_classifier(self.model, self.tokenizer, self.config)


def teacher_reader(device: torch.device) -> Callable[[Path], TeacherReader | None] | None:
    """How teachers are read when training on `device`: with ONNX Runtime, as inference reads
    them, on the CPU (None) and for a folder without torch weights (a shipped model); with torch
    on that device otherwise."""
    if device.type == "cpu":
        return None
    return lambda folder: TorchTeacher.load(folder, device) if (folder / "checkpoint.pt").is_file() else None


def epoch_scores(
    model: PropagandaTagger, tokenizer: Tokenizer, config: TrainConfig, dev: PtcCorpus, tuner: DevTuner
) -> Evaluation:
    """Dev scores of the network as it stands, at the plain span threshold that finds passages
    best: quick enough for every epoch, and one measure for all of them (tuning comes once, at the end)."""
    encoded = encode_with_torch(model, dev, tokenizer, config)
    classifier = RememberingClassifier(network_classifier(model, tokenizer, config))
    return max(
        (tuner.score(encoded, classifier, Thresholds(span=t, second_technique=1.1)) for t in SELECTION_THRESHOLDS),
        key=lambda candidate: candidate.f1()["si"],
    )


def selection_key(f1: Mapping[str, float]) -> float:
    """How epochs are compared: finding passages and naming them count alike."""
    return f1["si"] + f1["tc"]


def epochs_since_best(history: list[dict[str, Any]]) -> int:
    """Epochs logged after the best one by `selection_key`; the first of equals counts as best."""
    keys = [selection_key(entry) for entry in history]
    return len(keys) - 1 - keys.index(max(keys))


RESUME_FILE = "resume.pt"


@dataclass
class TrainingState:
    """What an interrupted run needs to go on exactly where it stopped: saved after every epoch."""

    epoch: int
    history: list[dict[str, Any]]
    best_key: float
    best_state: dict[str, torch.Tensor] | None
    rng_state: Any


def save_state(
    path: Path,
    state: TrainingState,
    model: nn.Module,
    optimiser: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    config: TrainConfig,
) -> None:
    """Write the resume file atomically, so a kill while saving leaves the previous epoch's file."""
    partial = path.with_suffix(".partial")
    torch.save(
        {
            "config": asdict(config),
            "state": asdict(state),
            "model": model.state_dict(),
            "optimiser": optimiser.state_dict(),
            "schedule": schedule.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": np.random.get_state(),
        },
        partial,
    )
    partial.replace(path)


def load_state(
    path: Path,
    model: nn.Module,
    optimiser: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    config: TrainConfig,
) -> TrainingState:
    """Restore a run saved by `save_state`; refuses a file written for another configuration."""
    saved = torch.load(path, weights_only=False, map_location="cpu")
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    wanted, written = asdict(config), defaults | saved["config"]  # a field added since keeps its default
    if written != wanted:
        changed = sorted(k for k in wanted if written.get(k) != wanted[k])
        raise ValueError(f"{path} was written by a run with other settings ({', '.join(changed)}); resume with those")
    model.load_state_dict(saved["model"])
    optimiser.load_state_dict(saved["optimiser"])
    schedule.load_state_dict(saved["schedule"])
    torch.set_rng_state(saved["torch_rng"])
    np.random.set_state(saved["numpy_rng"])
    return TrainingState(**saved["state"])


def train(config: TrainConfig, out: Path, *, resume: bool = False, device: str = "cpu") -> dict[str, Any]:
    """Train on `device`, select the best epoch on dev, tune thresholds, export; returns the run summary.

    With `resume`, a run interrupted after some epochs continues from `out/resume.pt` and, on
    the CPU, ends with the same weights it would have reached uninterrupted."""
    on = training_device(device)
    set_seed(config.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    base = resolve_base(config.base)
    base_sha256 = verify_base_weights(base)
    log.info("base %s, weights SHA-256 %s", base, base_sha256)
    if config.window_tokens > (limit := base_window_limit(base)):
        raise InputError(
            f"this encoder reads windows of at most {limit} word pieces; "
            f"give --window-tokens {limit} or fewer (got {config.window_tokens})",
            path=config.base,
        )
    tokenizer_path = str(Path(base) / "tokenizer.json")
    tokenizer = load_tokenizer(tokenizer_path)
    specials = special_ids(tokenizer)
    names = techniques.scheme(config.scheme).names
    train_corpus = span_corpus(Path(config.train_dir), config.scheme, "train").first(config.limit_articles)
    dev_corpus = span_corpus(Path(config.dev_dir), config.scheme, "dev").first(config.limit_articles)
    gold = train_corpus.tc_spans()
    out.mkdir(parents=True, exist_ok=True)
    teachers = (
        ensemble_views([Path(t) for t in config.teacher], train_corpus.articles, gold, out, teacher_reader(on))
        if config.teacher
        else {}
    )
    examples = [
        example
        for article_id, article in train_corpus.articles.items()
        for example in article_examples(
            tokenizer,
            article,
            gold[article_id],
            config.window_tokens,
            config.train_stride,
            names,
            teachers.get(article_id),
        )
    ]
    marked = (
        [
            example
            for article_id, article in train_corpus.articles.items()
            for example in marked_examples(tokenizer, article, gold[article_id], names, teachers.get(article_id))
        ]
        if config.span_input == "marked"
        else []
    )
    log.info("train: %d articles, %d windows, %d marked spans", len(train_corpus.articles), len(examples), len(marked))
    span_targets = (
        [m.technique for m in marked] if marked else [s.technique for example in examples for s in example.spans]
    )
    weights = class_weights(span_targets, config.class_balance, len(names)).to(on)
    log.info("span class weights %s", [round(float(w), 2) for w in weights])
    model = PropagandaTagger(base, len(names))
    if config.init is not None:
        model.load_state_dict(torch.load(Path(config.init) / "checkpoint.pt", weights_only=True, map_location="cpu"))
        log.info("weights from %s", Path(config.init) / "checkpoint.pt")
    model.to(on)
    log.info("training on %s", on)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    steps = config.epochs * steps_per_epoch
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    tuner = DevTuner(dev_corpus, names)
    rng = random.Random(config.seed)
    state = TrainingState(epoch=0, history=[], best_key=-1.0, best_state=None, rng_state=rng.getstate())
    if resume and (out / RESUME_FILE).is_file():
        state = load_state(out / RESUME_FILE, model, optimiser, schedule, config)
        rng.setstate(state.rng_state)
        log.info("resumed after epoch %d of %d", state.epoch, config.epochs)
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if config.patience is not None and state.history and epochs_since_best(state.history) >= config.patience:
            # checked before an epoch, so resuming a run that stopped early does not train on
            log.info(
                "stopping after epoch %d: no better dev score in the last %d epoch(s)", state.epoch, config.patience
            )
            break
        model.train()
        started, seen_tokens = time.monotonic(), 0
        marked_batches = iter(dealt(marked, steps_per_epoch, rng))
        for step, batch in enumerate(batches(examples, config.batch_size, rng), start=1):
            tensors = tuple(t.to(on) for t in collate(batch, specials, config.distill_weight))
            mask = tensors[1]
            marked_batch = next(marked_batches) if marked else None
            optimiser.zero_grad()
            loss = window_batch_loss(model, config, tensors, batch, marked_batch, specials, weights)
            loss.backward()  # type: ignore[no-untyped-call]
            if config.adversarial_epsilon:
                with embeddings_pushed_uphill(model, config.adversarial_epsilon):
                    adversarial = window_batch_loss(model, config, tensors, batch, marked_batch, specials, weights)
                    adversarial.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            seen_tokens += int(mask.sum())
            if step % 20 == 0:
                rate = seen_tokens / (time.monotonic() - started)
                log.info("epoch %d step %d loss %.4f (%.0f tokens/s)", epoch, step, loss.item(), rate)
        model.eval()
        scores = epoch_scores(model, tokenizer, config, dev_corpus, tuner)
        state.history.append({"epoch": epoch, "seconds": round(time.monotonic() - started), **scores.f1()})
        log.info(
            "epoch %d dev (best of span thresholds %s): %s", epoch, SELECTION_THRESHOLDS, json.dumps(state.history[-1])
        )
        key = selection_key(scores.f1())
        if key > state.best_key:
            state.best_key, state.best_state = key, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            torch.save(state.best_state, out / "checkpoint.pt")
        state.epoch, state.rng_state = epoch, rng.getstate()
        save_state(out / RESUME_FILE, state, model, optimiser, schedule, config)
    assert state.best_state is not None
    model.load_state_dict(state.best_state)
    model.eval()
    thresholds, calibration, dev_scores = tuner.tune(
        encode_with_torch(model, dev_corpus, tokenizer, config), network_classifier(model, tokenizer, config)
    )
    log.info("tuned thresholds %s: %s", thresholds, json.dumps(dev_scores.f1()))
    summary = {
        "config": asdict(config)
        | {"base_sha256": base_sha256, "device": on.type, "environment": training_environment(on)},
        "history": state.history,
        "thresholds": asdict(thresholds),
        "calibration": calibration.to_dict(),
        "dev": dev_scores.to_dict(),
        "data": {"train": corpus_counts(train_corpus), "dev": corpus_counts(dev_corpus)},
    }
    if config.teacher:
        summary["teachers"] = [teacher_summary(Path(folder)) for folder in config.teacher]
    export_model(model.cpu(), head_to_numpy(model.span_head, names), base, out, summary)
    return summary
