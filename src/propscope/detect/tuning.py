"""Scoring token-level outputs on an annotated folder, tuning the decision thresholds and
fitting the score calibration.

Used by training (torch outputs after each epoch) and by shipping (ONNX outputs of the model
that ships), with the same decoding as inference, so the tuned thresholds, the calibration
and the reported dev scores belong to exactly what users run. Only four numbers are tuned
(how far passages extend, the gap they may jump, the span threshold, when to add a second
technique) and two monotone maps are fitted: few enough that dev, with its 940 gold
passages, does not get memorised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from propscope import metrics, techniques
from propscope.article import Span
from propscope.detect.calibration import UNCALIBRATED, Calibration, MonotoneMap, expected_calibration_error
from propscope.detect.predict import (
    Encoded,
    Passage,
    PassagesRead,
    SpanClassifier,
    Thresholds,
    candidate_passages,
    find_spans,
    label_given_spans,
    ranges_of,
)
from propscope.evaluation import Evaluation, flc_scores
from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus
from propscope.sentences import split_sentences

if TYPE_CHECKING:
    from propscope.detect.runtime import ModelRuntime
    from propscope.detect.triage import Triage

EXTEND_THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
RAW_SPAN_THRESHOLDS = tuple(round(float(x), 2) for x in np.arange(0.15, 0.81, 0.05))
CALIBRATED_SPAN_THRESHOLDS = tuple(round(float(x), 3) for x in np.arange(0.05, 0.951, 0.025))
GAPS = (0, 1, 2)
SECOND_TECHNIQUE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 1.1)  # 1.1: never a second technique
DEFAULT_SECOND_TECHNIQUE = 0.3
FOLDS = 5


@dataclass(frozen=True)
class CalibrationCheck:
    """Calibration measured on articles the maps were not fitted on (cross-fitted by article)."""

    span_ece: float
    sentence_ece: float
    span_scores: list[float]
    span_outcomes: list[bool]
    sentence_scores: list[float]
    sentence_outcomes: list[bool]


@dataclass
class RememberingClassifier:
    """A span classifier that answers a passage it has seen from memory: tuning decodes the
    same articles under hundreds of thresholds, and a classifier that re-reads each passage
    would otherwise run the encoder again for every one of them. Techniques are remembered by
    range, those of given ranges (`probabilities`, TC) apart from those of found passages
    (`read`), which a naming head may name otherwise; a candidate's raw score by range and
    peak, because runs found at different extend thresholds may clean to the same range from
    tokens with different peaks. TC asks for gold ranges without a peak, so those never enter
    the raw-score memory. A passage's reported range depends on its range alone."""

    inner: SpanClassifier
    techniques: dict[tuple[str, int, int], NDArray[np.float32]] = field(default_factory=dict)
    found_techniques: dict[tuple[str, int, int], NDArray[np.float32]] = field(default_factory=dict)
    raw: dict[tuple[str, int, int, float], float] = field(default_factory=dict)
    reported: dict[tuple[str, int, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return self.inner.names

    @property
    def check_weight(self) -> float:
        return self.inner.check_weight

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        missing = list(dict.fromkeys(r for r in ranges if (text, *r) not in self.techniques))
        for (start, end), row in zip(missing, self.inner.probabilities(text, encoded, missing), strict=True):
            self.techniques[(text, start, end)] = row
        return self._rows(self.techniques, text, ranges)

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead:
        missing = list(dict.fromkeys(p for p in passages if (text, *p) not in self.raw))
        read = self.inner.read(text, encoded, missing)
        for passage, value, row, reported in zip(missing, read.raw, read.techniques, read.ranges, strict=True):
            self.raw[(text, *passage)] = float(value)
            self.found_techniques[(text, *passage[:2])] = row
            self.reported[(text, *passage[:2])] = reported
        ranges = ranges_of(passages)
        raw_scores = np.asarray([self.raw[(text, *p)] for p in passages], np.float32)
        techniques = self._rows(self.found_techniques, text, ranges)
        return PassagesRead(raw_scores, techniques, [self.reported[(text, *r)] for r in ranges])

    def _rows(
        self, memory: dict[tuple[str, int, int], NDArray[np.float32]], text: str, ranges: Sequence[tuple[int, int]]
    ) -> NDArray[np.float32]:
        rows = [memory[(text, *r)] for r in ranges]
        return np.asarray(rows, np.float32).reshape(len(ranges), len(self.names))


class DevTuner:
    """Scores encoded articles of a PTC folder against its gold."""

    def __init__(self, corpus: PtcCorpus, names: tuple[str, ...] = techniques.TECHNIQUE_NAMES):
        self.corpus = corpus
        self.names = names
        self.gold_spans = corpus.tc_spans()
        self.gold_ranges = corpus.si_spans()
        self.texts = {aid: a.text for aid, a in corpus.articles.items()}

    def score(
        self,
        encoded: Mapping[str, Encoded],
        classifier: SpanClassifier,
        thresholds: Thresholds,
        calibration: Calibration = UNCALIBRATED,
        *,
        with_tc: bool = True,
        triage: Triage | None = None,
    ) -> Evaluation:
        """SI, TC (on gold spans), FLC and sentence scores, found with `triage` when one is
        given; TC does not depend on the thresholds, so tuning leaves it out."""
        predicted: dict[str, list[Span]] = {}
        tc_predicted: dict[str, list[Span]] = {}
        for article_id, outputs in encoded.items():
            text = self.texts[article_id]
            predicted[article_id] = find_spans(text, outputs, classifier, thresholds, calibration, triage)
            if with_tc:
                tc_predicted[article_id] = label_given_spans(text, outputs, classifier, self.gold_spans[article_id])
        predicted_ranges = {aid: [(s.start, s.end) for s in spans] for aid, spans in predicted.items()}
        return Evaluation(
            si=metrics.span_identification(self.gold_ranges, predicted_ranges),
            tc=metrics.technique_classification(self.gold_spans, tc_predicted, self.names) if with_tc else None,
            flc=flc_scores(self.gold_spans, predicted, self.names),
            sentence=metrics.sentence_level(self.texts, self.gold_ranges, predicted_ranges),
        )

    def objective(
        self,
        encoded: Mapping[str, Encoded],
        classifier: SpanClassifier,
        thresholds: Thresholds,
        calibration: Calibration,
    ) -> float:
        """What the thresholds are chosen for: SI + FLC + sentence F1, so that passages are found
        (SI), carry the right technique (FLC) and flag the right sentences, not one at the
        others' expense."""
        scores = self.score(encoded, classifier, thresholds, calibration, with_tc=False)
        return sum(scores.f1()[task] for task in ("si", "flc", "sentence"))

    def tune(
        self, encoded: Mapping[str, Encoded], classifier: SpanClassifier
    ) -> tuple[Thresholds, Calibration, Evaluation]:
        """Thresholds and calibration for these outputs, with the scores they give.

        1. how far passages extend, the gap they may jump and the raw span threshold;
        2. the calibration maps, fitted on every candidate passage and every sentence; 3. the
        span threshold on the calibrated scale; 4. the second-technique threshold. Each step
        maximises `objective`."""
        classifier = RememberingClassifier(classifier)
        raw = max(
            (
                Thresholds(span=span, extend=extend, max_gap=gap, second_technique=DEFAULT_SECOND_TECHNIQUE)
                for extend in EXTEND_THRESHOLDS
                for gap in GAPS
                for span in RAW_SPAN_THRESHOLDS
                if span >= extend
            ),
            key=lambda t: self.objective(encoded, classifier, t, UNCALIBRATED),
        )
        calibration = self.fit_calibration(encoded, classifier, raw.run_threshold, raw.max_gap)
        calibrated = max(
            (replace(raw, span=span) for span in CALIBRATED_SPAN_THRESHOLDS),
            key=lambda t: self.objective(encoded, classifier, t, calibration),
        )
        chosen = max(
            (replace(calibrated, second_technique=s) for s in SECOND_TECHNIQUE_THRESHOLDS),
            key=lambda t: self.objective(encoded, classifier, t, calibration),
        )
        return chosen, calibration, self.score(encoded, classifier, chosen, calibration)

    def fit_calibration(
        self,
        encoded: Mapping[str, Encoded],
        classifier: SpanClassifier,
        extend: float,
        max_gap: int,
        articles: set[str] | None = None,
    ) -> Calibration:
        """Isotonic maps from raw scores to "overlaps gold" for candidate passages and sentences."""
        spans, sentences = self.outcomes(encoded, classifier, extend, max_gap, articles)
        return Calibration(
            span=MonotoneMap.fit([r for r, _ in spans], [o for _, o in spans]),
            sentence=MonotoneMap.fit([r for r, _ in sentences], [o for _, o in sentences]),
        )

    def outcomes(
        self,
        encoded: Mapping[str, Encoded],
        classifier: SpanClassifier,
        extend: float,
        max_gap: int,
        articles: set[str] | None = None,
    ) -> tuple[list[tuple[float, bool]], list[tuple[float, bool]]]:
        """(raw score, overlaps gold) for every candidate passage, and (highest token
        probability, contains gold) for every sentence."""
        spans: list[tuple[float, bool]] = []
        sentences: list[tuple[float, bool]] = []
        for article_id, outputs in encoded.items():
            if articles is not None and article_id not in articles:
                continue
            text, gold = self.texts[article_id], self.gold_ranges[article_id]
            candidates = candidate_passages(text, outputs, extend, max_gap)
            raw = classifier.read(text, outputs, candidates).raw
            spans += [
                (float(value), metrics.overlaps_any((s, e), gold))
                for (s, e, _), value in zip(candidates, raw, strict=True)
            ]
            offsets, presence = outputs.tokens.offsets, outputs.probabilities[:, 0]
            for start, end in split_sentences(text):
                inside = (offsets[:, 0] < end) & (offsets[:, 1] > start) if len(offsets) else np.zeros(0, bool)
                score = float(presence[inside].max()) if inside.any() else 0.0
                sentences.append((score, metrics.overlaps_any((start, end), gold)))
        return spans, sentences

    def check_calibration(
        self, encoded: Mapping[str, Encoded], classifier: SpanClassifier, thresholds: Thresholds
    ) -> CalibrationCheck:
        """Cross-fitted calibration: each fold of articles is scored by maps fitted on the others."""
        classifier = RememberingClassifier(classifier)
        extend = thresholds.run_threshold
        article_ids = sorted(encoded)
        folds = [set(article_ids[k::FOLDS]) for k in range(FOLDS)]
        span_scores: list[float] = []
        span_outcomes: list[bool] = []
        sentence_scores: list[float] = []
        sentence_outcomes: list[bool] = []
        for held_out in folds:
            fitted = self.fit_calibration(encoded, classifier, extend, thresholds.max_gap, set(article_ids) - held_out)
            spans, sentences = self.outcomes(encoded, classifier, extend, thresholds.max_gap, held_out)
            span_scores += list(fitted.span([r for r, _ in spans]))
            span_outcomes += [o for _, o in spans]
            sentence_scores += list(fitted.sentence([r for r, _ in sentences]))
            sentence_outcomes += [o for _, o in sentences]
        return CalibrationCheck(
            span_ece=expected_calibration_error(np.asarray(span_scores), np.asarray(span_outcomes)),
            sentence_ece=expected_calibration_error(np.asarray(sentence_scores), np.asarray(sentence_outcomes)),
            span_scores=[float(v) for v in span_scores],
            span_outcomes=span_outcomes,
            sentence_scores=[float(v) for v in sentence_scores],
            sentence_outcomes=sentence_outcomes,
        )


def encode_dev(runtime: ModelRuntime, folder: Path) -> tuple[DevTuner, dict[str, Encoded]]:
    """A tuner for the dev split of `folder` and the runtime's encodings of its articles: the
    encoder runs once, and every threshold, calibration or decoding variant reuses them."""
    corpus = span_corpus(folder, runtime.scheme, "dev")
    article_ids = list(corpus.articles)
    encoded = runtime.encode_many([corpus.articles[a].text for a in article_ids])
    return DevTuner(corpus, runtime.head.names), dict(zip(article_ids, encoded, strict=True))
