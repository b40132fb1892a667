"""Scoring token-level outputs on an annotated folder and tuning the decision thresholds.

Used by training (torch outputs after each epoch) and by quantisation (ONNX outputs of the
model that ships), with the same decoding as inference, so the tuned thresholds and the
reported dev scores belong to exactly what users run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from propscope import metrics
from propscope.article import Span
from propscope.detect.predict import Encoded, SpanHead, Thresholds, find_spans, label_given_spans
from propscope.formats.ptc import PtcCorpus

SPAN_THRESHOLDS = tuple(round(float(x), 2) for x in np.arange(0.1, 0.71, 0.05))
GAPS = (0, 1, 2)
SECOND_TECHNIQUE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 1.1)  # 1.1: never a second technique


class DevTuner:
    """Scores encoded articles of a PTC folder against its gold."""

    def __init__(self, corpus: PtcCorpus):
        self.corpus = corpus
        self.gold_spans = corpus.tc_spans()
        self.gold_ranges = corpus.si_spans()
        self.texts = {aid: a.text for aid, a in corpus.articles.items()}

    def score(self, encoded: Mapping[str, Encoded], head: SpanHead, thresholds: Thresholds) -> dict[str, Any]:
        """SI, TC (on gold spans), FLC and sentence scores as dicts."""
        predicted: dict[str, list[Span]] = {}
        tc_predicted: dict[str, list[Span]] = {}
        for article_id, outputs in encoded.items():
            text = self.texts[article_id]
            predicted[article_id] = find_spans(
                text, outputs.tokens, outputs.probabilities, outputs.hidden, head, thresholds
            )
            tc_predicted[article_id] = label_given_spans(text, outputs, head, self.gold_spans[article_id])
        predicted_ranges = {aid: [(s.start, s.end) for s in spans] for aid, spans in predicted.items()}
        return {
            "si": metrics.span_identification(self.gold_ranges, predicted_ranges).to_dict(),
            "tc": metrics.technique_classification(self.gold_spans, tc_predicted).to_dict(),
            "flc": metrics.fragment_classification(self.gold_spans, predicted).to_dict(),
            "sentence": metrics.sentence_level(self.texts, self.gold_ranges, predicted_ranges).to_dict(),
        }

    def tune(self, encoded: Mapping[str, Encoded], head: SpanHead) -> tuple[Thresholds, dict[str, Any]]:
        """The span threshold and gap that maximise SI F1, then the second-technique threshold
        that maximises FLC F1; returns them with the scores they give."""
        span_choices = [
            Thresholds(span=span, second_technique=1.1, max_gap=gap) for gap in GAPS for span in SPAN_THRESHOLDS
        ]
        best = max(span_choices, key=lambda t: self.score(encoded, head, t)["si"]["f1"])
        second_choices = [replace(best, second_technique=second) for second in SECOND_TECHNIQUE_THRESHOLDS]
        chosen = max(second_choices, key=lambda t: self.score(encoded, head, t)["flc"]["f1"])
        return chosen, self.score(encoded, head, chosen)


def f1_summary(scores: Mapping[str, Any]) -> dict[str, float]:
    """The four F1 values, rounded for logs and model cards."""
    return {name: round(float(scores[name]["f1"]), 4) for name in ("si", "tc", "flc", "sentence")}
