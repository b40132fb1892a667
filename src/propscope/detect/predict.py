"""From encoder outputs to spans: the decision rules shared by training-time evaluation and
inference, so that what is measured on dev is exactly what users get.

The encoder gives, per token, 15 probabilities (channel 0: inside any technique; channels
1..14: inside each technique) and a hidden vector. A candidate passage is a run of tokens
whose channel 0 stays above the `extend` threshold; it is reported when its calibrated score
reaches the span threshold, so a passage grows to the whole phrase around a confident core
instead of stopping at single words. The raw score is the passage's highest token, or, for a
model with a passage check, that combined with the check's verdict on the passage read as a
whole (`detect.marked_spans`). Passages made only of function words are dropped, leading and
trailing words that cannot start or end a phrase are trimmed, and runs that widen onto the
same words become one passage. Each passage is classified by the model's span
classifier (from the article's hidden vectors pooled over it, or, for a "marked" model, by
re-reading it marked in its context); it may carry a second technique when the classifier
gives it enough probability, because PTC spans of different techniques often coincide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from propscope.article import Span
from propscope.detect.calibration import UNCALIBRATED, Calibration
from propscope.detect.decode import line_breaks, runs_to_spans, token_runs, tokens_of
from propscope.detect.edges import without_overlaps
from propscope.detect.features import occurrences, span_features
from propscope.detect.function_words import only_function_words
from propscope.detect.windows import TokenizedText
from propscope.techniques import TECHNIQUE_NAMES

if TYPE_CHECKING:
    from propscope.detect.triage import Triage

#: a candidate passage: start, end and its highest "inside a technique" token probability
Passage = tuple[int, int, float]

REPETITION = "Repetition"
#: A passage whose phrase appears this often in its article, as whole words, is named Repetition
#: first. In PTC train, Repetition is the majority label of gold spans from 3 occurrences on (64%
#: of them, against 32% at 2 and 3% at 1; `benchmarks/repetition_rule.py`), while the classifier,
#: which sees the count as one input among hundreds, names most of them Loaded_Language or
#: Name_Calling. The annotation guidelines say the same: a phrase repeated to drive it home.
REPETITION_OCCURRENCES = 3


def gelu_tanh(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """GELU with the tanh approximation, the form the span head is trained with."""
    return np.asarray(0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3))), dtype=np.float32)


def softmax(x: NDArray[np.float32]) -> NDArray[np.float32]:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True)
class SpanHead:
    """A two-layer classifier over [mean, max of the span's hidden vectors, features]; `names`
    are the techniques of its outputs, in order (the model's scheme). The weights may stack
    several members on a leading axis, heads fitted alike but for their seed, whose
    probabilities are averaged: one fit's dev TC moved by up to 0.033 with its seed alone."""

    w1: NDArray[np.float32]
    b1: NDArray[np.float32]
    w2: NDArray[np.float32]
    b2: NDArray[np.float32]
    names: tuple[str, ...] = TECHNIQUE_NAMES

    @classmethod
    def averaging(cls, heads: Sequence[SpanHead]) -> SpanHead:
        """One head whose probabilities are the mean of `heads`' (a single head as it is)."""
        if len(heads) == 1:
            return heads[0]
        w1, b1, w2, b2 = (np.stack([getattr(head, key) for head in heads]) for key in ("w1", "b1", "w2", "b2"))
        return cls(w1, b1, w2, b2, names=heads[0].names)

    def probabilities(self, inputs: NDArray[np.float32]) -> NDArray[np.float32]:
        stacked = self.w1.ndim == 3
        members = zip(*(w if stacked else w[None] for w in (self.w1, self.b1, self.w2, self.b2)), strict=True)
        outputs = [softmax(gelu_tanh(inputs @ w1.T + b1) @ w2.T + b2) for w1, b1, w2, b2 in members]
        return np.asarray(np.mean(outputs, axis=0, dtype=np.float32))  # a single head's output exactly


@dataclass(frozen=True)
class Encoded:
    """Token-level encoder outputs for one whole text, stitched from its windows."""

    tokens: TokenizedText
    probabilities: NDArray[np.float32]  # (tokens, 15): inside any technique, inside each
    hidden: NDArray[np.float32]  # (tokens, hidden size)

    @classmethod
    def empty(cls, tokens: TokenizedText, channels: int) -> Encoded:
        """Outputs for a text with no tokens (empty or white space only)."""
        return cls(tokens, np.zeros((0, channels), np.float32), np.zeros((0, 1), np.float32))


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, tuned on dev and stored with the model.

    `span` is on the scale users see (the calibrated span score); `extend` is on the raw
    token scale and decides how far a passage reaches around its core; None means "same as
    span", which is plain thresholding for an uncalibrated model."""

    span: float = 0.5
    second_technique: float = 0.4
    max_gap: int = 1
    extend: float | None = None

    @property
    def run_threshold(self) -> float:
        return self.span if self.extend is None else self.extend


def article_span_vectors(
    tokens: TokenizedText, hidden: NDArray[np.float32], start: int, end: int
) -> NDArray[np.float32]:
    """[mean, max] of the article's own hidden vectors over the tokens of characters [start, end)."""
    first, last = tokens_of(tokens.offsets, start, end)
    vectors = hidden[first:last]
    return np.concatenate([vectors.mean(axis=0), vectors.max(axis=0)])


def span_inputs(
    text: str, tokens: TokenizedText, hidden: NDArray[np.float32], ranges: Sequence[tuple[int, int]]
) -> NDArray[np.float32]:
    """The span head's input for each character range."""
    lowered = text.lower()
    rows = [
        np.concatenate([article_span_vectors(tokens, hidden, start, end), span_features(text, start, end, lowered)])
        for start, end in ranges
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)


def classify_ranges(
    text: str, tokens: TokenizedText, hidden: NDArray[np.float32], head: SpanHead, ranges: Sequence[tuple[int, int]]
) -> NDArray[np.float32]:
    """Technique probabilities (len(ranges), 14) for given character ranges."""
    if not ranges:
        return np.zeros((0, len(head.names)), dtype=np.float32)
    return head.probabilities(span_inputs(text, tokens, hidden, ranges))


class TechniqueClassifier(Protocol):
    """Technique probabilities (len(ranges), techniques) for character ranges of an encoded
    article; `names` are the techniques of its columns. All that TC on given spans needs."""

    @property
    def names(self) -> tuple[str, ...]: ...

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]: ...


class PassagesRead(NamedTuple):
    """What a span classifier says of candidate passages, in their order: each one's raw
    score, its technique probabilities, and its range as it would be reported (moved by an
    edge model, `detect.edges`, when the classifier has one; else as given)."""

    raw: NDArray[np.float32]
    techniques: NDArray[np.float32]
    ranges: list[tuple[int, int]]


class SpanClassifier(TechniqueClassifier, Protocol):
    """A technique classifier that also reads candidate passages: `read` gives each its raw
    score, its peak or, when the classifier checks passages (`check_weight` > 0), its peak
    combined with the check (`checked_scores`), with its technique probabilities and its
    reported range."""

    @property
    def check_weight(self) -> float: ...

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead: ...


def checked_scores(peaks: NDArray[np.float32], checks: NDArray[np.float32], weight: float) -> NDArray[np.float32]:
    """peak^(1 - weight) * check^weight: a passage needs both a confident token and a
    convincing whole to score high. Never above peak^(1 - weight), which lets decoding skip
    passages no check could lift over the threshold."""
    return np.asarray(peaks ** (1.0 - weight) * checks**weight, dtype=np.float32)


def peaks_of(passages: Sequence[Passage]) -> NDArray[np.float32]:
    return np.asarray([peak for _, _, peak in passages], dtype=np.float32)


def ranges_of(passages: Sequence[Passage]) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in passages]


@dataclass(frozen=True)
class PooledSpanClassifier:
    """Classifies a span from the article's own hidden vectors: no extra encoder pass."""

    head: SpanHead
    check_weight: ClassVar[float] = 0.0

    @property
    def names(self) -> tuple[str, ...]:
        return self.head.names

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        return classify_ranges(text, encoded.tokens, encoded.hidden, self.head, ranges)

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead:
        ranges = ranges_of(passages)
        return PassagesRead(peaks_of(passages), self.probabilities(text, encoded, ranges), ranges)


def ranked_techniques(
    lowered_text: str, start: int, end: int, probabilities: NDArray[np.float32], names: Sequence[str]
) -> NDArray[np.intp]:
    """Technique indices, most probable first, except that Repetition comes first for a phrase
    repeated `REPETITION_OCCURRENCES` times in the article (`lowered_text`, in lower case)."""
    order = np.argsort(-probabilities)
    if REPETITION in names and occurrences(lowered_text, start, end, whole_words=True) >= REPETITION_OCCURRENCES:
        repetition = names.index(REPETITION)
        order = np.concatenate([[repetition], order[order != repetition]])
    return order


def label_given_spans(
    text: str, encoded: Encoded, classifier: TechniqueClassifier, given: Sequence[Span]
) -> list[Span]:
    """TC on known spans: each distinct range gets its k most probable techniques, where k is
    how often the range is given (PTC repeats a range once per technique it carries)."""
    counts = Counter((span.start, span.end) for span in given)
    ranges = list(counts)
    if not ranges or len(encoded.tokens) == 0:
        return []
    lowered = text.lower()
    probabilities = classifier.probabilities(text, encoded, ranges)
    return [
        Span(start, end, classifier.names[index])
        for (start, end), row in zip(ranges, probabilities, strict=True)
        for index in ranked_techniques(lowered, start, end, row, classifier.names)[: counts[(start, end)]]
    ]


def candidate_passages(text: str, encoded: Encoded, extend: float, max_gap: int) -> list[Passage]:
    """Every run of tokens above `extend` (joined over gaps of at most `max_gap`), cleaned into
    a passage that is not only function words."""
    if len(encoded.tokens) == 0:
        return []
    presence = encoded.probabilities[:, 0]
    runs = token_runs(presence, extend, max_gap, line_breaks(text, encoded.tokens.offsets))
    return [
        (start, end, peak)
        for start, end, peak in runs_to_spans(text, encoded.tokens.offsets, presence, runs)
        if not only_function_words(text[start:end])
    ]


def worth_reading(
    peaks: NDArray[np.float32],
    ceilings: NDArray[np.float32],
    check_weight: float,
    calibration: Calibration,
    threshold: float,
) -> NDArray[np.bool_]:
    """Whether each passage, with its `peaks`, could clear the span `threshold` if the check
    gave it the verdict in `ceilings` (all ones: any verdict the check could give)."""
    return np.asarray(calibration.span(checked_scores(peaks, ceilings, check_weight)) >= threshold, dtype=bool)


def reported_passages(
    text: str,
    encoded: Encoded,
    classifier: SpanClassifier,
    thresholds: Thresholds,
    calibration: Calibration,
    triage: Triage | None = None,
) -> list[tuple[int, int, float, NDArray[np.float32]]]:
    """(start, end, calibrated score, technique probabilities) of every passage whose score
    clears the span threshold, at the range the classifier reports it at (never overlapping
    another: of two, the one scored lower yields, `edges.without_overlaps`); passages that
    could not clear it even with the best verdict the check could give (or, with a `triage`,
    the best it is taken to be able to give) are never read."""
    passages = candidate_passages(text, encoded, thresholds.run_threshold, thresholds.max_gap)
    peaks = peaks_of(passages)
    ceilings = np.ones_like(peaks) if triage is None else triage.ceilings(text, encoded, passages)
    worth = worth_reading(peaks, ceilings, classifier.check_weight, calibration, thresholds.span)
    candidates = [p for p, keep in zip(passages, worth, strict=True) if keep]
    read, found = classifier.read(text, encoded, candidates), ranges_of(candidates)
    scores = [float(score) for score in calibration.span(read.raw)]
    kept = [index for index, score in enumerate(scores) if score >= thresholds.span]
    ranges = without_overlaps(text, [found[i] for i in kept], [read.ranges[i] for i in kept], [scores[i] for i in kept])
    return [(r[0], r[1], scores[i], read.techniques[i]) for r, i in zip(ranges, kept, strict=True) if r is not None]


def find_spans(
    text: str,
    encoded: Encoded,
    classifier: SpanClassifier,
    thresholds: Thresholds,
    calibration: Calibration = UNCALIBRATED,
    triage: Triage | None = None,
) -> list[Span]:
    """Spans with techniques and calibrated scores for one article."""
    spans: list[Span] = []
    lowered = text.lower()
    for start, end, score, probs in reported_passages(text, encoded, classifier, thresholds, calibration, triage):
        ranked = ranked_techniques(lowered, start, end, probs, classifier.names)
        spans.append(Span(start, end, classifier.names[ranked[0]], round(score, 4)))
        if probs[ranked[1]] >= thresholds.second_technique:
            spans.append(Span(start, end, classifier.names[ranked[1]], round(score, 4)))
    return sorted(spans)
