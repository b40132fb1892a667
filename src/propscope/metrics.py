"""SI, TC, FLC and sentence-level scores, identical to the official SemEval-2020 Task 11 scorers.

SI and FLC follow the task's definition: for predicted spans S and gold spans T, precision =
(1/|S|) sum |s ∩ t| / |s| and recall = (1/|T|) sum |s ∩ t| / |t|, pooled over all articles
(FLC only counts pairs whose techniques match). Overlapping predicted SI spans are merged
first, as the official scorer does with `-m`. TC is micro-F1 over the 14 techniques on the
gold spans, with per-technique F1; when one span carries several techniques, predictions are
matched to them in the best order. `tests/test_metrics.py` checks every number of the
official scorer vectors.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from propscope.article import Span
from propscope.formats.ptc import merge_overlapping
from propscope.sentences import split_sentences
from propscope.techniques import TECHNIQUE_NAMES

Ranges = Mapping[str, Iterable[tuple[int, int]]]
SpansById = Mapping[str, Iterable[Span]]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1, with the counts behind them."""

    precision: float
    recall: float
    f1: float
    predicted: int
    gold: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class TechniqueScores:
    """Micro-F1 over all spans plus F1 for each technique (TC)."""

    f1: float
    per_technique: dict[str, float]
    spans: int

    def to_dict(self) -> dict[str, object]:
        return {"f1": self.f1, "per_technique": dict(self.per_technique), "spans": self.spans}


def _prf(precision_sum: float, predicted: int, recall_sum: float, gold: int) -> PRF:
    precision = precision_sum / predicted if predicted else 0.0
    recall = recall_sum / gold if gold else 0.0
    if predicted == 0 and gold == 0:
        f1 = 1.0
    elif precision > 0 and recall > 0:
        f1 = 2 * precision * recall / (precision + recall)
    else:
        f1 = 0.0
    return PRF(precision, recall, f1, predicted, gold)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def overlaps_any(span: tuple[int, int], ranges: Sequence[tuple[int, int]]) -> bool:
    """Whether `span` shares at least one character with any of `ranges` (the scorers' sense
    of "overlaps gold")."""
    return any(_overlap(span, other) for other in ranges)


def _partial_match(
    gold: Mapping[str, list[tuple[int, int, str | None]]],
    predicted: Mapping[str, list[tuple[int, int, str | None]]],
) -> PRF:
    """The shared core of SI and FLC: pooled partial-overlap precision and recall."""
    precision_sum = recall_sum = 0.0
    for article_id, predicted_spans in predicted.items():
        gold_spans = gold.get(article_id, [])
        for p_start, p_end, p_label in predicted_spans:
            for g_start, g_end, g_label in gold_spans:
                if p_label != g_label:
                    continue
                shared = _overlap((p_start, p_end), (g_start, g_end))
                if shared:
                    precision_sum += shared / (p_end - p_start)
                    recall_sum += shared / (g_end - g_start)
    n_predicted = sum(len(spans) for spans in predicted.values())
    n_gold = sum(len(spans) for spans in gold.values())
    return _prf(precision_sum, n_predicted, recall_sum, n_gold)


def span_identification(gold: Ranges, predicted: Ranges, *, merge: bool = True) -> PRF:
    """SI score: spans without techniques; overlapping predictions merged unless merge=False."""
    gold_spans: dict[str, list[tuple[int, int, str | None]]] = {
        aid: [(s, e, None) for s, e in spans] for aid, spans in gold.items()
    }
    predicted_spans: dict[str, list[tuple[int, int, str | None]]] = {
        aid: [(s, e, None) for s, e in (merge_overlapping(spans) if merge else spans)]
        for aid, spans in predicted.items()
    }
    return _partial_match(gold_spans, predicted_spans)


def fragment_classification(gold: SpansById, predicted: SpansById) -> PRF:
    """FLC score: like SI, but a predicted span only earns credit from gold of its technique."""
    return _partial_match(
        {aid: [(s.start, s.end, s.technique) for s in spans] for aid, spans in gold.items()},
        {aid: [(s.start, s.end, s.technique) for s in spans] for aid, spans in predicted.items()},
    )


class SpanMismatchError(ValueError):
    """TC predictions must label exactly the gold spans."""


def technique_classification(
    gold: SpansById, predicted: SpansById, names: Sequence[str] = TECHNIQUE_NAMES
) -> TechniqueScores:
    """TC score on the gold spans: micro-F1 and per-technique F1 (for each of `names`)."""
    gold_labels = _labels_by_span(gold)
    predicted_labels = _labels_by_span(predicted)
    if set(gold_labels) != set(predicted_labels) or any(
        len(gold_labels[key]) != len(predicted_labels[key]) for key in gold_labels
    ):
        missing = sum(1 for key in gold_labels if len(predicted_labels.get(key, [])) != len(gold_labels[key]))
        extra = sum(1 for key in predicted_labels if key not in gold_labels)
        raise SpanMismatchError(
            f"TC predictions must label exactly the gold spans: {missing} gold spans lack a matching "
            f"prediction and {extra} predicted spans are not gold spans"
        )
    true_positive: Counter[str] = Counter()
    false_positive: Counter[str] = Counter()
    false_negative: Counter[str] = Counter()
    for key, gold_list in gold_labels.items():
        pairs = _best_pairs(gold_list, predicted_labels[key])
        for gold_label, predicted_label in pairs:
            if gold_label == predicted_label:
                true_positive[gold_label] += 1
            else:
                false_positive[predicted_label] += 1
                false_negative[gold_label] += 1
    total = sum(len(labels) for labels in gold_labels.values())
    per_technique = {}
    for name in names:
        denominator = 2 * true_positive[name] + false_positive[name] + false_negative[name]
        per_technique[name] = 2 * true_positive[name] / denominator if denominator else 0.0
    micro = sum(true_positive.values()) / total if total else 0.0
    return TechniqueScores(micro, per_technique, total)


def _labels_by_span(spans: SpansById) -> dict[tuple[str, int, int], list[str]]:
    labels: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for article_id, article_spans in spans.items():
        for span in article_spans:
            labels[(article_id, span.start, span.end)].append(span.technique)
    return labels


def _best_pairs(gold: list[str], predicted: list[str]) -> list[tuple[str, str]]:
    """Pair labels of one span so that equal labels meet first; the rest pair up in order."""
    remaining_predicted = Counter(predicted)
    pairs: list[tuple[str, str]] = []
    unmatched_gold: list[str] = []
    for label in gold:
        if remaining_predicted[label] > 0:
            remaining_predicted[label] -= 1
            pairs.append((label, label))
        else:
            unmatched_gold.append(label)
    unmatched_predicted: list[str] = []
    for label in predicted:
        if remaining_predicted[label] > 0:
            remaining_predicted[label] -= 1
            unmatched_predicted.append(label)
    pairs.extend(zip(unmatched_gold, unmatched_predicted, strict=True))
    return pairs


def sentence_level(texts: Mapping[str, str], gold: Ranges, predicted: Ranges) -> PRF:
    """Binary F1 over sentences: a sentence is positive when any span overlaps it."""
    true_positive = predicted_positive = gold_positive = 0
    for article_id, text in texts.items():
        gold_spans = list(gold.get(article_id, []))
        predicted_spans = list(predicted.get(article_id, []))
        for sentence in split_sentences(text):
            is_gold = overlaps_any(sentence, gold_spans)
            is_predicted = overlaps_any(sentence, predicted_spans)
            gold_positive += is_gold
            predicted_positive += is_predicted
            true_positive += is_gold and is_predicted
    precision = true_positive / predicted_positive if predicted_positive else 0.0
    recall = true_positive / gold_positive if gold_positive else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return PRF(precision, recall, f1, predicted_positive, gold_positive)


def fragment_classification_by_technique(
    gold: SpansById, predicted: SpansById, names: Sequence[str] = TECHNIQUE_NAMES
) -> dict[str, PRF]:
    """FLC score computed for each technique (of `names`) on its own."""
    return {
        name: fragment_classification(
            {aid: [s for s in spans if s.technique == name] for aid, spans in gold.items()},
            {aid: [s for s in spans if s.technique == name] for aid, spans in predicted.items()},
        )
        for name in names
    }


@dataclass(frozen=True)
class Flags:
    """How a model's flags of one technique met the gold, as a reader asks it: how often is a
    passage flagged with this technique one that annotators marked (with any technique)? With
    their mean score beside it, since a calibration fitted over all passages can score one
    technique's flags higher than they turn out."""

    flags: int
    overlapping_gold: int
    mean_score: float

    @property
    def share(self) -> float:
        return self.overlapping_gold / self.flags if self.flags else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self) | {"share": self.share}


def flags_by_technique(gold: Ranges, predicted: SpansById) -> dict[str, Flags]:
    """`Flags` for each technique the predictions use, most used first: every predicted span
    counts (a passage with two techniques counts under each), and it overlaps gold when any
    gold span of its article shares a character with it."""
    counts: dict[str, tuple[int, int, float]] = {}
    for article_id, spans in predicted.items():
        ranges = list(gold.get(article_id, []))
        for span in spans:
            flags, overlapping, scores = counts.get(span.technique, (0, 0, 0.0))
            hit = overlaps_any((span.start, span.end), ranges)
            counts[span.technique] = (flags + 1, overlapping + hit, scores + span.score)
    return {
        technique: Flags(flags, overlapping, round(scores / flags, 4))
        for technique, (flags, overlapping, scores) in sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    }


@dataclass(frozen=True)
class LabelScores:
    """Micro- and macro-F1 of a labelling task, with F1 and recall per label (SemEval-2023
    subtasks; recall because a researcher asks how much reporting is found, not only F1)."""

    micro_f1: float
    macro_f1: float
    per_label: dict[str, float]
    items: int
    recall: dict[str, float]

    @property
    def f1(self) -> float:
        """The task's official measure is chosen by the caller; micro-F1 here."""
        return self.micro_f1

    def to_dict(self) -> dict[str, object]:
        return {
            "micro_f1": self.micro_f1,
            "macro_f1": self.macro_f1,
            "per_label": dict(self.per_label),
            "recall": dict(self.recall),
            "items": self.items,
        }


def _f1(true_positive: int, false_positive: int, false_negative: int) -> float:
    denominator = 2 * true_positive + false_positive + false_negative
    return 2 * true_positive / denominator if denominator else 0.0


def _recall(true_positive: Counter[str], false_negative: Counter[str], labels: Iterable[str]) -> dict[str, float]:
    """Recall per label; 0 for a label that gold never has."""
    return {
        label: true_positive[label] / (true_positive[label] + false_negative[label])
        if true_positive[label] + false_negative[label]
        else 0.0
        for label in labels
    }


def multi_label(gold: Mapping[str, Iterable[str]], predicted: Mapping[str, Iterable[str]]) -> LabelScores:
    """Micro-F1 over every (item, label) pair and macro-F1 over labels seen in gold or
    predictions, as the SemEval-2023 scorers compute subtasks 2 (items: articles, labels:
    frames) and 3 (items: paragraphs, labels: techniques). An item missing from the
    predictions counts as predicted with no label."""
    true_positive: Counter[str] = Counter()
    false_positive: Counter[str] = Counter()
    false_negative: Counter[str] = Counter()
    for item, gold_labels in gold.items():
        wanted, found = set(gold_labels), set(predicted.get(item, ()))
        for label in wanted & found:
            true_positive[label] += 1
        for label in found - wanted:
            false_positive[label] += 1
        for label in wanted - found:
            false_negative[label] += 1
    labels = sorted(set(true_positive) | set(false_positive) | set(false_negative))
    per_label = {label: _f1(true_positive[label], false_positive[label], false_negative[label]) for label in labels}
    micro = _f1(sum(true_positive.values()), sum(false_positive.values()), sum(false_negative.values()))
    macro = sum(per_label.values()) / len(per_label) if per_label else 0.0
    return LabelScores(micro, macro, per_label, len(gold), _recall(true_positive, false_negative, labels))


def single_label(
    gold: Mapping[str, str], predicted: Mapping[str, str], labels: Sequence[str] | None = None
) -> LabelScores:
    """Micro- and macro-F1 of one label per item (SemEval-2023 subtask 1, genre). Macro-F1
    averages the labels in `labels`, or, by default, those seen in gold or predictions, as
    scikit-learn's f1_score (which the official scorer calls) does."""
    true_positive: Counter[str] = Counter()
    false_positive: Counter[str] = Counter()
    false_negative: Counter[str] = Counter()
    for item, wanted in gold.items():
        found = predicted.get(item)
        if found == wanted:
            true_positive[wanted] += 1
        else:
            false_negative[wanted] += 1
            if found is not None:
                false_positive[found] += 1
    chosen = list(labels) if labels is not None else sorted(set(gold.values()) | set(predicted.values()))
    per_label = {label: _f1(true_positive[label], false_positive[label], false_negative[label]) for label in chosen}
    micro = sum(true_positive.values()) / len(gold) if gold else 0.0
    macro = sum(per_label.values()) / len(per_label) if per_label else 0.0
    return LabelScores(micro, macro, per_label, len(gold), _recall(true_positive, false_negative, chosen))
