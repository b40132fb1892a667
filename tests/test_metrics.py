"""The metrics must reproduce the official SemEval-2020 scorers' numbers exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propscope import metrics
from propscope.article import Span
from propscope.formats import ptc
from tests.conftest import VECTORS

EXPECTED = json.loads((VECTORS / "expected.json").read_text()) if (VECTORS / "expected.json").exists() else {}


@pytest.mark.parametrize("name", sorted(k for k in EXPECTED if k.startswith("si-")))
def test_si_matches_official_scorer(name: str, ptc_dir: Path) -> None:
    gold = ptc.group_ranges(ptc.read_label_file(ptc_dir / "dev" / "dev-task-si.labels"))
    predicted = ptc.group_ranges(ptc.read_label_file(VECTORS / EXPECTED[name]["file"]))
    score = metrics.span_identification(gold, predicted)
    assert score.precision == pytest.approx(EXPECTED[name]["precision"], abs=1e-6)
    assert score.recall == pytest.approx(EXPECTED[name]["recall"], abs=1e-6)
    assert score.f1 == pytest.approx(EXPECTED[name]["f1"], abs=1e-6)


@pytest.mark.parametrize("name", sorted(k for k in EXPECTED if k.startswith("tc-")))
def test_tc_matches_official_scorer(name: str, ptc_dir: Path) -> None:
    gold = ptc.group_spans(ptc.read_label_file(ptc_dir / "dev" / "dev-task-flc-tc.labels"))
    predicted = ptc.group_spans(ptc.read_label_file(VECTORS / EXPECTED[name]["file"]))
    score = metrics.technique_classification(gold, predicted)
    assert score.f1 == pytest.approx(EXPECTED[name]["f1"], abs=1e-6)
    for technique, value in EXPECTED[name]["per_technique_f1"].items():
        assert score.per_technique[technique] == pytest.approx(value, abs=1e-6), technique


def test_every_vector_is_tested() -> None:
    assert len(EXPECTED) == 12


def test_si_partial_overlap_by_hand() -> None:
    # predicted 0-10 overlaps gold 5-15 by 5 chars: precision 5/10, recall 5/10
    score = metrics.span_identification({"a": [(5, 15)]}, {"a": [(0, 10)]})
    assert (score.precision, score.recall, score.f1) == (0.5, 0.5, 0.5)


def test_si_merges_overlapping_predictions_but_not_adjacent_ones() -> None:
    merged = metrics.span_identification({"a": [(0, 10)]}, {"a": [(0, 6), (4, 10)]})
    assert (merged.predicted, merged.precision) == (1, 1.0)
    adjacent = metrics.span_identification({"a": [(0, 10)]}, {"a": [(0, 5), (5, 10)]})
    assert (adjacent.predicted, adjacent.precision, adjacent.recall) == (2, 1.0, 1.0)


def test_flc_needs_matching_technique() -> None:
    gold = {"a": [Span(0, 10, "Doubt"), Span(20, 30, "Slogans")]}
    predicted = {"a": [Span(0, 10, "Doubt"), Span(20, 30, "Repetition")]}
    score = metrics.fragment_classification(gold, predicted)
    assert (score.precision, score.recall, score.f1) == (0.5, 0.5, 0.5)


def test_tc_best_match_for_a_span_with_two_techniques() -> None:
    gold = {"a": [Span(0, 5, "Doubt"), Span(0, 5, "Slogans")]}
    predicted = {"a": [Span(0, 5, "Slogans"), Span(0, 5, "Doubt")]}
    assert metrics.technique_classification(gold, predicted).f1 == 1.0


def test_tc_refuses_spans_that_are_not_gold() -> None:
    with pytest.raises(metrics.SpanMismatchError, match="1 gold spans lack a matching prediction"):
        metrics.technique_classification({"a": [Span(0, 5, "Doubt")]}, {"a": [Span(0, 6, "Doubt")]})


def test_sentence_level_counts_sentences_touched_by_spans() -> None:
    text = "One calm line.\nA vile, shameful lie.\nAnother calm line."
    gold = {"a": [(20, 28)]}  # inside the second sentence
    predicted = {"a": [(2, 6), (22, 25)]}  # first and second sentences
    score = metrics.sentence_level({"a": text}, gold, predicted)
    assert (score.precision, score.recall, score.predicted, score.gold) == (0.5, 1.0, 2, 1)


def test_flags_by_technique_counts_each_flag_against_any_gold() -> None:
    gold = {"a": [(0, 10)], "b": [(5, 8)]}
    predicted = {
        "a": [Span(8, 14, "Doubt", 0.6), Span(8, 14, "Slogans", 0.6), Span(20, 25, "Doubt", 0.2)],
        "b": [Span(0, 5, "Doubt", 0.4)],  # ends where the gold starts: no shared character
        "c": [Span(0, 3, "Slogans", 0.9)],  # an article without gold
    }
    flags = metrics.flags_by_technique(gold, predicted)
    assert list(flags) == ["Doubt", "Slogans"]  # most flagged first
    assert flags["Doubt"] == metrics.Flags(flags=3, overlapping_gold=1, mean_score=0.4)
    assert flags["Slogans"].to_dict() == {"flags": 2, "overlapping_gold": 1, "mean_score": 0.75, "share": 0.5}
