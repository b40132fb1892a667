"""Taxonomy, domain values and sentence boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from propscope import techniques
from propscope.article import Analysis, Article, Span, best_match, covered_share
from propscope.sentences import sentence_bounds, split_sentences


def test_technique_names_are_the_label_file_names(ptc_dir: Path) -> None:
    assert list(techniques.TECHNIQUE_NAMES) == (ptc_dir / "techniques.txt").read_text().split()


def test_every_technique_has_our_words_and_a_distinct_colour() -> None:
    assert len(techniques.TECHNIQUES) == 14
    assert len({t.colour for t in techniques.TECHNIQUES}) == 14
    for t in techniques.TECHNIQUES:
        assert t.title and t.example and t.definition.count(".") >= 2


def test_fine_grained_mapping_covers_the_18_ptc_techniques() -> None:
    assert len(techniques.PTC18_TO_SEMEVAL14) == 18
    assert techniques.PTC18_TO_SEMEVAL14["Straw_Men"] == "Whataboutism,Straw_Men,Red_Herring"
    assert techniques.PTC18_TO_SEMEVAL14["Reductio_ad_hitlerum"] == "Bandwagon,Reductio_ad_hitlerum"
    assert techniques.PTC18_TO_SEMEVAL14["Obfuscation,Intentional_Vagueness,Confusion"] is None
    assert set(v for v in techniques.PTC18_TO_SEMEVAL14.values() if v) == set(techniques.TECHNIQUE_NAMES)


@pytest.mark.parametrize(
    ("start", "end", "technique", "message"),
    [
        (5, 5, "Doubt", "0 <= start < end"),
        (-1, 3, "Doubt", "0 <= start < end"),
        (0, 3, "Lies", "unknown technique 'Lies'"),
    ],
)
def test_invalid_spans_are_refused(start: int, end: int, technique: str, message: str) -> None:
    with pytest.raises((ValueError, KeyError), match=message):
        Span(start, end, technique)


def test_analysis_refuses_a_span_past_the_text() -> None:
    with pytest.raises(ValueError, match="ends after the article's 5 characters"):
        Analysis(article=Article(id="x", text="short"), spans=(Span(0, 6, "Doubt"),))


def test_covered_share_counts_overlaps_once() -> None:
    spans = [Span(0, 10, "Doubt"), Span(5, 15, "Slogans"), Span(30, 40, "Repetition")]
    assert covered_share(spans, 100) == 0.25


def test_a_found_passage_stands_for_the_gold_span_whose_extent_it_matches_best() -> None:
    fear, label = Span(0, 60, "Appeal_to_fear-prejudice"), Span(20, 35, "Name_Calling,Labeling")
    flag = Span(70, 80, "Flag-Waving")
    assert best_match(20, 35, [fear, label, flag]) == label  # inside both: the one it is
    assert best_match(5, 45, [fear, label, flag]) == fear  # shares 40 of 60 characters against 15 of 40
    assert best_match(20, 35, [Span(20, 35, "Doubt"), label]) == Span(20, 35, "Doubt")  # a tie: the first listed
    assert best_match(60, 70, [fear, label, flag]) is None  # ends are exclusive: touching is not sharing


def test_sentence_bounds_enclose_a_range_in_whole_sentences() -> None:
    text = "First one. Second one!\nThird."
    bounds = sentence_bounds(text)
    assert bounds.enclosing(text.index("one!"), text.index("!")) == (11, 22)  # "Second one!"
    assert bounds.enclosing(text.index("one."), text.index("Second") + 3) == (0, 22)
    assert bounds.enclosing(text.index("Third"), len(text)) == (23, 29)
    assert sentence_bounds("").enclosing(0, 0) == (0, 0)


def test_sentence_split_keeps_abbreviations_and_quotes() -> None:
    text = 'Mr. Smith met U.S. officials. He said "No!" Then left.\n\nA new line?'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. Smith met U.S. officials.",
        'He said "No!"',
        "Then left.",
        "A new line?",
    ]
