"""Fitting the span head to passages read marked in context by a finished encoder.

Training one encoder to tag tokens and to classify marked passages at once pulls it away from
tagging (`docs/BENCHMARKS.md`, lever 1). Here the encoder is left as it is: the encoder that
ships reads every training span between markers in its sentence, and only the span head is
fitted to those vectors. Span finding stays exactly what it was; the technique of a passage
is read from the passage in its own context. `propscope ship --span-input marked` runs this
for each precision it compares, so a head always learns the vectors it will see.

The passage check is fitted the same way, on different examples: every candidate passage the
finished tagger proposes in the training articles (at a low extend threshold, so that there
are plenty of near misses), labelled by whether it overlaps a gold span.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from propscope import metrics, techniques
from propscope.article import best_match
from propscope.detect.marked_spans import PASSAGE_CHECK_OUTPUTS, marked_head_inputs
from propscope.detect.predict import Encoded, Passage, SpanHead, candidate_passages, ranges_of
from propscope.detect.runtime import (
    MODEL_FILE,
    NAMING_HEAD_FILE,
    PASSAGE_CHECK_FILE,
    ModelRuntime,
    save_head,
    write_description,
)
from propscope.errors import InputError
from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus

log = logging.getLogger("propscope.train")


#: How the span head's (and naming head's) weights are stored: ten members in float32 would take
#: 24 MB of a model folder kept under 40 MB. Rounding them to float16 left every dev figure the
#: same to four decimals (`benchmarks/marked_head_grid.py`); int8 rows with a scale each take half
#: that again, which made room for the check layers, and moved dev TC and FLC F1 by 0.001
#: (`benchmarks/head_storage.py`). `load_head` computes in float32 either way.
SPAN_HEAD_DTYPE = np.int8


@dataclass(frozen=True)
class MarkedHeadSettings:
    """How the head is fitted; recorded in the model description. Chosen once from a small
    grid (epochs 4 to 20, learning rate 3e-4 or 1e-3, class balance 0 or 0.5) and kept at the
    training defaults where the grid did not separate them. `members` heads are fitted with
    seeds `seed`, `seed` + 1, ... and averaged: a single fit's dev TC moved by up to 0.03 with
    its seed alone, and two disjoint averages of five still differed by 0.010
    (`benchmarks/marked_head_grid.py`), so ten are averaged."""

    epochs: int = 16
    learning_rate: float = 3e-4
    batch_size: int = 32
    class_balance: float = 0.5
    dropout: float = 0.1
    weight_decay: float = 0.01
    seed: int = 13
    members: int = 10
    #: width of each member's hidden layer; None: the encoder's hidden size
    hidden_units: int | None = None


def training_span_inputs(
    runtime: ModelRuntime, corpus: PtcCorpus, article_vectors: bool
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The span head's inputs for every gold span of `corpus`, read marked by `runtime`'s
    encoder (with `article_vectors`, and the span's vectors from its article's encoding), and
    each span's technique index."""
    index = {name: i for i, name in enumerate(techniques.scheme(runtime.scheme).names)}
    inputs, targets = [], []
    for article_id, spans in corpus.tc_spans().items():
        if spans:
            text = corpus.articles[article_id].text
            article = runtime.encode_many([text])[0] if article_vectors else None
            inputs.append(marked_head_inputs(runtime.reader, text, [(s.start, s.end) for s in spans], article))
            targets += [index[s.technique] for s in spans]
    return np.concatenate(inputs), np.asarray(targets, np.int64)


def fit_marked_head(
    folder: Path, train_dir: Path, settings: MarkedHeadSettings | None = None, *, article_vectors: bool = True
) -> dict[str, Any]:
    """Refit `folder`'s span head on its own encoder's marked readings of the training spans
    (with `article_vectors`, and each span's vectors from its article's own encoding), and
    mark the folder as classifying spans that way; returns what the description records.

    The article's vectors are on by default: with the shipped encoder they raised dev TC from
    0.6040 to 0.6190 for five averaged heads, and from 0.594 to 0.608 on the mean of single
    heads (`benchmarks/marked_head_grid.py`)."""
    settings = settings or MarkedHeadSettings()
    runtime = ModelRuntime.load(folder, spin=False)
    names = techniques.scheme(runtime.scheme).names
    inputs, targets = training_span_inputs(runtime, span_corpus(train_dir, runtime.scheme, "train"), article_vectors)
    log.info("marked span head: %d training spans read by %s", len(targets), folder.name)
    head = train_head(inputs, targets, names, settings, runtime.hidden_size)
    save_head(folder / "span_head.npz", head, SPAN_HEAD_DTYPE)
    recorded = asdict(settings) | {"spans": len(targets), "article_vectors": article_vectors}
    record_in_description(folder, span_input="marked", marked_head=recorded)
    return recorded


def require_marked(runtime: ModelRuntime, folder: Path, needs: str) -> None:
    """A one-line error naming `folder` unless its model reads passages marked in their context
    (shipped with --span-input marked); `needs` says what the caller needs that reading for."""
    if runtime.description.get("span_input") != "marked":
        raise InputError(
            "classifies spans from the article's pooled vectors; only a model shipped with --span-input marked "
            + needs,
            path=folder,
        )


def record_in_description(folder: Path, **entries: Any) -> None:
    """Add `entries` to the model description in `folder`, keeping the rest."""
    description = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    description.update(entries)
    write_description(folder, description)


@dataclass(frozen=True)
class PassageCheckSettings:
    """Where the check's training passages come from, how its head is fitted and the weight
    of its verdict in a passage's raw score (peak^(1 - weight) * verdict^weight). Epochs and
    weight are the row of `benchmarks/passage_check_grid.py` with the best SI + FLC + sentence
    F1 on dev (the sum the thresholds are tuned for) among the rows that still report the seed
    article's true findings `tests/test_shipped_model.py` requires; other rows score up to
    0.006 higher on dev but drop "jihadists" or "sinful". Classes are not weighted, so the
    verdict stays an estimate of how often such a passage overlaps gold. One head, not an
    average of seeds: ten averaged moved the tuned sum by 0.003 at the same settings, and their
    6 MB would take the folder to its size limit. `article_vectors` (the passage's vectors from
    the article pass as further inputs) is off: on the training candidates those vectors nearly
    say which passages are gold, and a check leaning on them drops the seed article's plain
    labels ("The passage check, averaged and reading the article pass" in BENCHMARKS).

    The tagger's own candidates under-show the false alarms it makes on articles it has not
    seen. Given taggers that never trained on some training articles (`fit_passage_check`'s
    `proposers`), the check averages its head with one (`out_of_fold_head`) fitted on the
    candidates they propose there. Alone, that head gave the best dev sum of any check but
    dropped seed findings in every row; averaged with the own-candidate head it keeps them and
    still raises SI, FLC and sentence F1 ("The passage check on candidates from taggers that
    never saw the article" in BENCHMARKS)."""

    weight: float = 0.25
    article_vectors: bool = False
    extend: float = 0.15
    max_gap: int = 1
    head: MarkedHeadSettings = MarkedHeadSettings(epochs=16, class_balance=0.0, members=1)
    out_of_fold_head: MarkedHeadSettings = MarkedHeadSettings(epochs=8, class_balance=0.0, members=1)


@dataclass(frozen=True)
class CandidateReadings:
    """Every candidate passage a model's tagger proposes in a corpus, its marked reading and
    whether it overlaps a gold span; rows in article order."""

    passages: list[Passage]
    inputs: NDArray[np.float32]
    overlaps: NDArray[np.bool_]

    @classmethod
    def joined(cls, parts: Sequence[CandidateReadings]) -> CandidateReadings:
        """The rows of `parts` one after another (candidates read in several corpora)."""
        return cls(
            [p for part in parts for p in part.passages],
            np.concatenate([part.inputs for part in parts]),
            np.concatenate([part.overlaps for part in parts]),
        )


def read_candidates(
    runtime: ModelRuntime,
    corpus: PtcCorpus,
    extend: float,
    max_gap: int,
    *,
    article_vectors: bool = False,
    proposer: ModelRuntime | None = None,
) -> CandidateReadings:
    """The tagger's candidates at (`extend`, `max_gap`) in every article of `corpus`, each read
    marked in its context by the model's own encoder (with `article_vectors`, and its vectors
    from the article's encoding). With `proposer`, that model's tagger proposes the candidates
    instead: one that never trained on `corpus` makes the false alarms a tagger makes on
    articles it has not seen."""
    article_ids = list(corpus.articles)
    texts = [corpus.articles[a].text for a in article_ids]
    gold = corpus.si_spans()
    proposed = (proposer or runtime).encode_many(texts)
    own: Sequence[Encoded | None] = [None] * len(texts)
    if article_vectors:
        own = proposed if proposer is None else runtime.encode_many(texts)
    passages: list[Passage] = []
    inputs, overlaps = [], []
    for article_id, text, encoded, article in zip(article_ids, texts, proposed, own, strict=True):
        candidates = candidate_passages(text, encoded, extend, max_gap)
        if candidates:
            inputs.append(marked_head_inputs(runtime.reader, text, ranges_of(candidates), article))
            overlaps += [metrics.overlaps_any(r, gold[article_id]) for r in ranges_of(candidates)]
            passages += candidates
    width = inputs[0].shape[1] if inputs else 0
    return CandidateReadings(
        passages,
        np.concatenate(inputs) if inputs else np.zeros((0, width), np.float32),
        np.asarray(overlaps, bool),
    )


def fit_check_head(
    readings: CandidateReadings,
    settings: PassageCheckSettings,
    hidden: int,
    out_of_fold: CandidateReadings | None = None,
) -> SpanHead:
    """The check's head, `hidden` units wide (the encoder's hidden size), on `readings`; with
    `out_of_fold` (candidates from taggers that never saw their articles), the average of it
    and a head (`settings.out_of_fold_head`) fitted on those."""
    own = train_head(readings.inputs, readings.overlaps.astype(np.int64), PASSAGE_CHECK_OUTPUTS, settings.head, hidden)
    if out_of_fold is None:
        return own
    targets = out_of_fold.overlaps.astype(np.int64)
    unseen = train_head(out_of_fold.inputs, targets, PASSAGE_CHECK_OUTPUTS, settings.out_of_fold_head, hidden)
    return SpanHead.averaging([own, unseen])


def tagger_and_folder(pair: str) -> tuple[Path, Path]:
    """TAGGER=FOLDER (a model folder, then a PTC folder of training articles it never trained
    on) as two paths; ValueError naming `pair` when it is not of that form."""
    tagger, _, folder = pair.partition("=")
    if not tagger or not folder:
        raise ValueError(f"{pair!r} is not TAGGER=FOLDER (a model folder, then a PTC folder)")
    return Path(tagger), Path(folder)


def fit_passage_check(
    folder: Path,
    train_dir: Path,
    settings: PassageCheckSettings | None = None,
    proposers: Sequence[tuple[Path, Path]] = (),
) -> dict[str, Any]:
    """Fit `folder`'s passage check on its own tagger's candidates in the training articles
    and, for each (tagger, PTC folder) of `proposers`, on the candidates that tagger proposes
    in that folder's articles, which it never trained on; returns what the description records."""
    settings = settings or PassageCheckSettings()
    runtime = ModelRuntime.load(folder, spin=False)
    scheme = runtime.scheme
    # loaded before anything is read, so a missing tagger or fold fails at once
    folds = [
        (tagger.name, span_corpus(articles, scheme, "train"), ModelRuntime.load(tagger, spin=False))
        for tagger, articles in proposers
    ]
    read = partial(read_candidates, extend=settings.extend, max_gap=settings.max_gap)
    readings = read(runtime, span_corpus(train_dir, scheme, "train"), article_vectors=settings.article_vectors)
    log.info("passage check: %d candidate passages read by %s", len(readings.passages), folder.name)
    unseen = [
        read(runtime, corpus, article_vectors=settings.article_vectors, proposer=proposer)
        for _, corpus, proposer in folds
    ]
    out_of_fold = CandidateReadings.joined(unseen) if unseen else None
    save_head(folder / PASSAGE_CHECK_FILE, fit_check_head(readings, settings, runtime.hidden_size, out_of_fold))
    recorded = asdict(settings) | {
        "passages": len(readings.passages),
        "overlapping_gold": int(readings.overlaps.sum()),
    }
    if out_of_fold is None:
        del recorded["out_of_fold_head"]
    else:
        recorded["out_of_fold"] = [
            {
                "tagger": name,
                "articles": len(corpus.articles),
                "passages": len(part.passages),
                "overlapping_gold": int(part.overlaps.sum()),
            }
            for (name, corpus, _), part in zip(folds, unseen, strict=True)
        ]
    record_in_description(folder, passage_check=recorded)
    return recorded


def train_head(
    inputs: NDArray[np.float32],
    targets: NDArray[np.int64],
    names: tuple[str, ...],
    settings: MarkedHeadSettings,
    hidden: int,
) -> SpanHead:
    """`settings.members` heads of two layers (the first `settings.hidden_units` wide, or
    `hidden` when that is None), each trained with
    class-weighted cross-entropy (as in training) from its own seed (`settings.seed`, + 1, ...),
    stacked into one."""
    import torch
    from torch import nn

    from propscope.train.loop import class_weights, head_to_numpy
    from propscope.train.model import span_head_layers

    weights = class_weights(targets.tolist(), settings.class_balance, len(names))
    x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
    members = []
    for seed in range(settings.seed, settings.seed + settings.members):
        torch.manual_seed(seed)
        head = span_head_layers(inputs.shape[1], settings.hidden_units or hidden, len(names), settings.dropout)
        model = nn.Sequential(nn.Dropout(settings.dropout), head)  # dropout on the inputs too, as in training
        optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
        generator = torch.Generator().manual_seed(seed)
        model.train()
        for _ in range(settings.epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), settings.batch_size):
                batch = order[start : start + settings.batch_size]
                loss = nn.functional.cross_entropy(model(x[batch]), y[batch], weight=weights)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
        members.append(head_to_numpy(head, names))
    return SpanHead.averaging(members)


@dataclass(frozen=True)
class NamingSettings:
    """How the naming head is fitted, and the weight of its probabilities against the span
    head's in naming a found passage. The head is the span head's recipe on its inputs, with
    fewer, narrower members, which keeps the model folder under 40 MB (five members of 128 units
    take 2 MB; ten of 384 would take 12); on the shipped encoder 128 units did as well as 384.
    Weight and epochs are the row of `benchmarks/naming_head_grid.py` with the best SI + FLC +
    sentence F1 on dev among the rows that still report the seed article's true findings
    `tests/test_shipped_model.py` requires: alone (weight 1), the naming head calls "a
    terrorists' supporter" an appeal to fear and loses the label ("Naming the passages found" in
    BENCHMARKS)."""

    weight: float = 0.75
    head: MarkedHeadSettings = MarkedHeadSettings(epochs=8, members=5, hidden_units=128)


def found_passage_inputs(
    runtime: ModelRuntime, proposer: ModelRuntime, corpus: PtcCorpus, article_vectors: bool
) -> tuple[list[NDArray[np.float32]], list[int]]:
    """The passages `proposer`'s tagger finds in `corpus` with `runtime`'s decoding thresholds
    that overlap gold, read as `training_span_inputs` reads spans (one array per article with
    any), each named after the gold span whose extent it matches best (`best_match`)."""
    index = {name: i for i, name in enumerate(techniques.scheme(runtime.scheme).names)}
    gold = corpus.tc_spans()
    thresholds = runtime.thresholds
    inputs, targets = [], []
    for article_id, article in corpus.articles.items():
        text, spans = article.text, gold[article_id]
        found = candidate_passages(text, proposer.encode_many([text])[0], thresholds.run_threshold, thresholds.max_gap)
        named = [(r, match.technique) for r in ranges_of(found) if (match := best_match(*r, spans))]
        if named:
            own = runtime.encode_many([text])[0] if article_vectors else None
            inputs.append(marked_head_inputs(runtime.reader, text, [r for r, _ in named], own))
            targets += [index[technique] for _, technique in named]
    return inputs, targets


@dataclass(frozen=True)
class NamingExamples:
    """What a naming head is fitted on: the training spans' rows, then each fold's found
    passages; `found` counts the passages of each fold, in order."""

    inputs: NDArray[np.float32]
    targets: NDArray[np.int64]
    spans: int
    found: list[int]


def naming_examples(
    runtime: ModelRuntime, train: PtcCorpus, folds: Sequence[tuple[ModelRuntime, PtcCorpus]]
) -> NamingExamples:
    """The gold spans of `train` and the passages each (tagger, corpus) of `folds` finds in
    articles it never trained on, read by `runtime` as its span head reads spans."""
    spans, span_targets = training_span_inputs(runtime, train, runtime.article_vectors)
    found = [found_passage_inputs(runtime, tagger, corpus, runtime.article_vectors) for tagger, corpus in folds]
    return NamingExamples(
        np.concatenate([spans, *(rows for inputs, _ in found for rows in inputs)]),
        np.concatenate([span_targets, np.asarray([t for _, targets in found for t in targets], np.int64)]),
        len(span_targets),
        [len(targets) for _, targets in found],
    )


def fit_naming_head(
    folder: Path,
    train_dir: Path,
    proposers: Sequence[tuple[Path, Path]],
    settings: NamingSettings | None = None,
) -> dict[str, Any]:
    """Fit `folder`'s naming head (`MarkedSpanClassifier.naming`) on the training spans and on
    the passages each (tagger, PTC folder) of `proposers` finds in that folder's articles, which
    it never trained on; returns what the description records.

    A span head fitted on exact gold spans names about half the passages the model finds right
    against 0.63 of gold spans: a found passage has other edges and may cover two techniques.
    Fitting the span head itself on found passages too raised FLC but cost TC 0.05, so they get
    a head of their own. The tagger's own training articles would show it passages it learned;
    taggers trained apart find in their held-out articles what a tagger finds in new ones."""
    settings = settings or NamingSettings()
    runtime = ModelRuntime.load(folder, spin=False)
    folds = [
        (ModelRuntime.load(tagger, spin=False), span_corpus(articles, runtime.scheme, "train"))
        for tagger, articles in proposers
    ]
    examples = naming_examples(runtime, span_corpus(train_dir, runtime.scheme, "train"), folds)
    log.info("naming head: %d training spans, %d found passages", examples.spans, sum(examples.found))
    names = techniques.scheme(runtime.scheme).names
    head = train_head(examples.inputs, examples.targets, names, settings.head, runtime.hidden_size)
    save_head(folder / NAMING_HEAD_FILE, head, SPAN_HEAD_DTYPE)
    recorded = asdict(settings) | {
        "spans": examples.spans,
        "extend": runtime.thresholds.run_threshold,
        "max_gap": runtime.thresholds.max_gap,
        "found": [
            {"tagger": tagger.name, "articles": len(corpus.articles), "passages": count}
            for (tagger, _), (_, corpus), count in zip(proposers, folds, examples.found, strict=True)
        ],
    }
    record_in_description(folder, naming_head=recorded)
    return recorded
