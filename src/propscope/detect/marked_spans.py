"""Reading a span where it stands: the span marked inside a sentence or two of its context.

Pooling the article's own hidden vectors over a span tells the classifier what the words
are, but not that they are the words in question: the encoder never knew which passage it
would be asked about. Re-reading a short input in which the span sits between markers
("... left context « the span » right context ...") lets every layer attend to the span's
edges, which is what separates a slogan from the loaded words inside it, or a causal
oversimplification from the clause it ends. It costs one more, short, encoder pass per
passage. Each marked input goes through the encoder on its own: an int8 encoder quantises
its activations per call, so batching passages would make one passage's technique depend on
which others were found with it (and so on the span threshold a user picks). Those calls are
short (mostly one sentence), too short for one call to keep several cores busy, so
they run side by side instead, each on one core (`MarkedReader.workers`): on 2 cores that reads
an article's passages about 1.3 times as fast, with the same outputs to the bit
(`docs/BENCHMARKS.md`).

The technique head may also take the span's mean and max vectors from the article's own
encoding, which the article pass has already computed: the marked reading sees the span's
edges in a sentence or two, the article pass sees it with the window around it, and on PTC
the two together classify better than either (`docs/BENCHMARKS.md`).

The same reading can also check a candidate passage: a small head fitted on the tagger's own
candidates in the training articles says whether a passage, read as a whole in its context,
overlaps what annotators marked. A passage's peak says that one of its tokens looked
persuasive; the check judges the candidate as one phrase, its edges marked, which is what a
reader of the report judges too.

A passage the tagger finds rarely has a gold span's exact edges: it may cover part of one, or
more than one. A model may therefore carry a second technique head for the passages decoding
finds (`naming`), fitted on the training spans together with the passages taggers trained
apart find in training articles they never saw, each named after the gold span it matches
best; a found passage's technique probabilities are then a weighted mean of that head's and
the span head's. Techniques of given spans (TC) still come from the span head alone, fitted
on exact spans.

The vectors around the markers also say where the passage should start and end: a model may
carry an edge model (`detect.edges`) that moves a read passage's edges by a word or two, from
the same encoder call (`MarkedReader.read_passages`). And a model may carry the passage
check's own encoder layers, whose verdict that call gives as well (`detect.check_layers`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from propscope.detect.check_layers import CheckLayers
from propscope.detect.edges import EdgeModel, edge_vectors
from propscope.detect.features import N_FEATURES, span_features
from propscope.detect.predict import (
    Encoded,
    Passage,
    PassagesRead,
    PooledSpanClassifier,
    SpanClassifier,
    SpanHead,
    article_span_vectors,
    checked_scores,
    peaks_of,
    ranges_of,
)
from propscope.detect.windows import frame_rows, special_ids, tokenize
from propscope.sentences import sentence_bounds

OPEN_MARK, CLOSE_MARK = "«", "»"
#: characters of context read on each side of the span, within its own sentences
CONTEXT_CHARS = 200
#: longest marked input in tokens (without [CLS] and [SEP]); a longer one is cut around the span
MAX_TOKENS = 160

#: run(input_ids, attention_mask) -> (token outputs, hidden (batch, sequence, hidden size), and for a
#: reader with check layers the vectors below them (batch, sequence, hidden size))
HiddenRun = Callable[[NDArray[np.int64], NDArray[np.int64]], Sequence[NDArray[np.float32]]]
T = TypeVar("T")


@dataclass(frozen=True)
class MarkedInput:
    """Token ids of one marked input and the [first, last) positions of the span's own tokens
    in it, counted after [CLS]."""

    ids: NDArray[np.int64]
    first: int
    last: int


def marked_text(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The span between markers with up to CONTEXT_CHARS of the sentences it lies in on each
    side (cut at word boundaries), and where the span's characters lie in that string. The
    heads learnt from PTC's one sentence a line, so a passage of a paragraph is read with its
    own sentence as context, as it would be there, not with its neighbours."""
    context_start, context_end = sentence_bounds(text).enclosing(start, end)
    left = max(context_start, start - CONTEXT_CHARS)
    if left > context_start:
        space = text.find(" ", left, start)
        left = space + 1 if space >= 0 else start
    right = min(context_end, end + CONTEXT_CHARS)
    if right < context_end:
        space = text.rfind(" ", end, right)
        right = space if space >= 0 else end
    prefix = text[left:start] + OPEN_MARK + " "
    marked = prefix + text[start:end] + " " + CLOSE_MARK + text[end:right]
    return marked, len(prefix), len(prefix) + (end - start)


def marked_input(tokenizer: Tokenizer, text: str, start: int, end: int, max_tokens: int = MAX_TOKENS) -> MarkedInput:
    """Tokenized marked input, cut to `max_tokens` keeping the span (or its start) in view."""
    marked, span_start, span_end = marked_text(text, start, end)
    tokens = tokenize(tokenizer, marked)
    inside = np.flatnonzero((tokens.offsets[:, 0] < span_end) & (tokens.offsets[:, 1] > span_start))
    first, last = (int(inside[0]), int(inside[-1]) + 1) if len(inside) else (0, min(1, len(tokens)))
    keep_from = 0
    if len(tokens) > max_tokens:
        room = max(0, max_tokens - (last - first))
        keep_from = max(0, min(first - room // 2, len(tokens) - max_tokens))
    ids = tokens.ids[keep_from : keep_from + max_tokens]
    first, last = first - keep_from + 1, min(last - keep_from, len(ids)) + 1
    return MarkedInput(ids=ids, first=first, last=max(last, first + 1))


def pooled_marked(hidden: NDArray[np.float32], item: MarkedInput) -> NDArray[np.float32]:
    """[mean of the span's vectors, mean of the whole input's]: what the span is, and where."""
    length = len(item.ids) + 2
    return np.concatenate([hidden[item.first : item.last].mean(axis=0), hidden[:length].mean(axis=0)])


class PassageReading(NamedTuple):
    """What one encoder call on a marked passage gives: its `pooled_marked` reading, its
    `edges.edge_vectors` when asked for, and the check layers' verdict when the reader has them."""

    pooled: NDArray[np.float32]
    edges: NDArray[np.float32] | None
    verdict: float | None


class MarkedReadings(NamedTuple):
    """`PassageReading`s of several passages, stacked: readings (passages, 2 * hidden), edge
    vectors (passages, 9 * hidden; no columns unless asked for), check layers' verdicts
    (passages,) or None."""

    readings: NDArray[np.float32]
    edges: NDArray[np.float32]
    verdicts: NDArray[np.float32] | None


@dataclass(frozen=True)
class MarkedReader:
    """Reads ranges of a text marked in their context with an encoder `run`, one range per call,
    `workers` calls at a time. A run called from several threads at once must be safe for that
    and should use one core per call (ONNX Runtime releases the GIL while it runs). With the
    passage check's own `layers` (`detect.check_layers`), `run` also returns the encoder's
    vectors below them, third, and each passage read gets their verdict too."""

    tokenizer: Tokenizer
    run: HiddenRun
    workers: int = 1
    layers: CheckLayers | None = None

    @cached_property
    def specials(self) -> tuple[int, int, int]:
        return special_ids(self.tokenizer)

    def outputs(self, item: MarkedInput) -> Sequence[NDArray[np.float32]]:
        """The encoder's outputs for one marked input, from a call of its own."""
        return self.run(*frame_rows([item.ids], *self.specials))

    def reading(self, item: MarkedInput) -> NDArray[np.float32]:
        """`pooled_marked` of one marked input."""
        return pooled_marked(np.asarray(self.outputs(item)[1][0], np.float32), item)

    def passage_reading(self, item: MarkedInput, edges: bool) -> PassageReading:
        """Everything one encoder call on a marked input gives (see `PassageReading`)."""
        outputs = self.outputs(item)
        hidden = np.asarray(outputs[1][0], np.float32)
        verdict = (
            self.layers.verdict(np.asarray(outputs[2][0], np.float32), item.first, item.last)
            if self.layers is not None
            else None
        )
        return PassageReading(
            pooled_marked(hidden, item), edge_vectors(hidden, item.first, item.last) if edges else None, verdict
        )

    def each(self, text: str, ranges: Sequence[tuple[int, int]], read: Callable[[MarkedInput], T]) -> list[T]:
        """`read` of each range of `text` marked, in order, `workers` at a time."""
        items = [marked_input(self.tokenizer, text, start, end) for start, end in ranges]
        if self.workers > 1 and len(items) > 1:
            with ThreadPoolExecutor(min(self.workers, len(items))) as pool:
                return list(pool.map(read, items))
        return [read(item) for item in items]

    def readings(self, text: str, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        """`pooled_marked` (len(ranges), 2 * hidden) of each range of `text`, in order."""
        rows = self.each(text, ranges, self.reading)
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)

    def read_passages(self, text: str, ranges: Sequence[tuple[int, int]], edges: bool = False) -> MarkedReadings:
        """Each range of `text` read marked, one call each: readings, with edge vectors when
        `edges`, and the check layers' verdicts when the reader has them."""
        read = self.each(text, ranges, lambda item: self.passage_reading(item, edges))
        if not read:
            empty = np.zeros((0, 0), np.float32)
            return MarkedReadings(empty, empty, np.zeros(0, np.float32) if self.layers else None)
        return MarkedReadings(
            np.stack([r.pooled for r in read]),
            np.stack([r.edges for r in read if r.edges is not None]) if edges else np.zeros((len(read), 0), np.float32),
            np.asarray([r.verdict for r in read], np.float32) if self.layers is not None else None,
        )


def head_inputs(readings: NDArray[np.float32], text: str, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
    """A head's input for each range: its marked reading, then `span_features`."""
    lowered = text.lower()
    features = np.asarray([span_features(text, start, end, lowered) for start, end in ranges], dtype=np.float32)
    return np.concatenate([readings, features.reshape(len(ranges), N_FEATURES)], axis=1)


def with_article_vectors(
    inputs: NDArray[np.float32], article: Encoded, ranges: Sequence[tuple[int, int]]
) -> NDArray[np.float32]:
    """`head_inputs` rows with each range's mean and max vectors from the `article`'s own
    encoding put before the features: the input of a head fitted with article vectors."""
    vectors = [article_span_vectors(article.tokens, article.hidden, start, end) for start, end in ranges]
    rows = np.asarray(vectors, dtype=np.float32).reshape(len(ranges), -1)
    return np.concatenate([inputs[:, :-N_FEATURES], rows, inputs[:, -N_FEATURES:]], axis=1)


def marked_head_inputs(
    reader: MarkedReader, text: str, ranges: Sequence[tuple[int, int]], article: Encoded | None = None
) -> NDArray[np.float32]:
    """`head_inputs` of each range of `text`, read marked by `reader`, with the `article`'s
    vectors when it is given."""
    inputs = head_inputs(reader.readings(text, ranges), text, ranges)
    return inputs if article is None else with_article_vectors(inputs, article, ranges)


#: the passage check's two outputs; column 1 is the verdict used
PASSAGE_CHECK_OUTPUTS = ("no technique", "technique")


@dataclass(frozen=True)
class PassageCheck:
    """A two-output head on the marked reading (column 1: the passage overlaps a technique)
    and the weight its verdict gets against the passage's peak in the raw score; with
    `article_vectors`, the head also reads the passage's vectors from the article's encoding."""

    head: SpanHead
    weight: float
    article_vectors: bool = False


@dataclass(frozen=True)
class NamingHead:
    """A head on the span head's inputs for the passages decoding finds, and the weight of its
    probabilities against the span head's in naming them."""

    head: SpanHead
    weight: float

    def mixed(self, span_head: NDArray[np.float32], inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        """Technique probabilities of found passages from the span head's (`span_head`) and
        this head's on the same `inputs`."""
        return np.asarray((1.0 - self.weight) * span_head + self.weight * self.head.probabilities(inputs), np.float32)


@dataclass(frozen=True)
class MarkedSpanClassifier:
    """Classifies spans by re-reading each one marked in its context with the model's encoder
    (and, with `article_vectors`, by the span's vectors from the article's own encoding too);
    with a passage check, the same reading also scores the passage."""

    head: SpanHead
    reader: MarkedReader
    check: PassageCheck | None = None
    article_vectors: bool = False
    #: names the passages decoding finds together with `head` (None: `head` alone names them)
    naming: NamingHead | None = None
    #: moves the edges of the passages read (None: they are reported where decoding found them)
    edges: EdgeModel | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.head.names

    @property
    def check_weight(self) -> float:
        return self.check.weight if self.check is not None else 0.0

    def readings(self, text: str, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        return self.reader.readings(text, ranges)

    def techniques(
        self, encoded: Encoded, ranges: Sequence[tuple[int, int]], inputs: NDArray[np.float32], *, found: bool = False
    ) -> NDArray[np.float32]:
        """Technique probabilities of ranges from their `head_inputs` (with the article's
        `encoded` vectors added, for a head fitted with them): the span head's, mixed with the
        naming head's when the ranges are passages decoding `found`."""
        if self.article_vectors:
            inputs = with_article_vectors(inputs, encoded, ranges)
        probabilities = self.head.probabilities(inputs)
        return self.naming.mixed(probabilities, inputs) if found and self.naming is not None else probabilities

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        if not ranges:
            return np.zeros((0, len(self.names)), dtype=np.float32)
        return self.techniques(encoded, ranges, head_inputs(self.readings(text, ranges), text, ranges))

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead:
        if not passages:
            return PassagesRead(np.zeros(0, np.float32), np.zeros((0, len(self.names)), dtype=np.float32), [])
        ranges = ranges_of(passages)
        read = self.reader.read_passages(text, ranges, edges=self.edges is not None)
        judged = self.judge(text, encoded, passages, read.readings, read.verdicts)
        if self.edges is None:
            return judged
        return judged._replace(ranges=self.edges.moved(text, encoded.tokens.offsets, ranges, read.edges))

    def judge(
        self,
        text: str,
        encoded: Encoded,
        passages: Sequence[Passage],
        readings: NDArray[np.float32],
        own: NDArray[np.float32] | None = None,
    ) -> PassagesRead:
        """Raw scores and technique probabilities from passages' marked `readings` (and the
        check layers' verdicts `own`, for a reader with them): `read` without the encoder, for
        callers that keep readings; the passages where they were found."""
        ranges, peaks = ranges_of(passages), peaks_of(passages)
        inputs = head_inputs(readings, text, ranges)
        techniques = self.techniques(encoded, ranges, inputs, found=True)
        if self.check is None:
            return PassagesRead(peaks, techniques, ranges)
        return PassagesRead(
            checked_scores(peaks, self.verdicts(encoded, ranges, inputs, own), self.check.weight), techniques, ranges
        )

    def verdicts(
        self,
        encoded: Encoded,
        ranges: Sequence[tuple[int, int]],
        inputs: NDArray[np.float32],
        own: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float32]:
        """The passage check's verdict (that a range overlaps a technique) from the ranges'
        `head_inputs`, blended with the check layers' verdicts `own` when the reader has them
        (`MarkedReader.read_passages` gives both)."""
        if self.check is None:
            raise ValueError("this classifier has no passage check to give verdicts")
        if (own is None) != (self.reader.layers is None):
            raise ValueError("the check layers' verdicts are needed exactly when the reader has check layers")
        if self.check.article_vectors:
            inputs = with_article_vectors(inputs, encoded, ranges)
        verdict = np.asarray(self.check.head.probabilities(inputs)[:, 1], np.float32)
        return verdict if self.reader.layers is None or own is None else self.reader.layers.blended(verdict, own)


def span_classifier(
    span_input: str,
    head: SpanHead,
    reader: MarkedReader,
    check: PassageCheck | None = None,
    article_vectors: bool = False,
    naming: NamingHead | None = None,
    edges: EdgeModel | None = None,
) -> SpanClassifier:
    """The classifier a model's `span_input` names ("pooled" or "marked"), reading with
    `reader` (ONNX Runtime when analysing, the torch network while it trains); only a marked
    reading can carry a passage check, a naming head or an edge model, or add the article's
    vectors to its heads' input."""
    if span_input == "marked":
        return MarkedSpanClassifier(head, reader, check, article_vectors, naming, edges)
    return PooledSpanClassifier(head)
