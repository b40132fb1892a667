"""Windowing and decoding: offsets map back exactly and spans come out clean."""

from __future__ import annotations

import numpy as np
import pytest

from propscope.detect.decode import clean_span, line_breaks, runs_to_spans, token_runs, tokens_of
from propscope.detect.function_words import only_function_words, trim_dangling_end, trim_dangling_start
from propscope.detect.windows import Window, load_tokenizer, plan_windows, stitch, tokenize


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from propscope.detect.model import default_model_dir

    return load_tokenizer(str(default_model_dir() / "tokenizer.json"))


def test_windows_overlap_and_end_flush() -> None:
    assert plan_windows(0, 10, 8) == []
    assert plan_windows(7, 10, 8) == [Window(0, 7)]
    assert plan_windows(25, 10, 8) == [Window(0, 10), Window(8, 18), Window(15, 25)]


def test_stitch_takes_each_token_from_its_most_central_window() -> None:
    windows = [Window(0, 4), Window(2, 6)]
    # window outputs include [CLS] at row 0; value = window number
    first = np.array([[9], [1], [1], [1], [1], [9]], dtype=np.float32)
    second = np.array([[9], [2], [2], [2], [2], [9]], dtype=np.float32)
    stitched = stitch([first, second], windows, 6)
    assert stitched[:, 0].tolist() == [1, 1, 1, 2, 2, 2]


def test_token_offsets_point_into_the_original_text(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = "\ufeffCaf\u00e9 owners\r\nsaid \u201cnever!\u201d  Twice."
    tokens = tokenize(tokenizer, text)
    pieces = [text[s:e] for s, e in tokens.offsets]
    assert pieces == ["Caf\u00e9", "owners", "said", "\u201c", "never", "!", "\u201d", "Twice", "."]


def test_long_text_is_not_truncated(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = "word " * 3000
    tokens = tokenize(tokenizer, text)
    assert len(tokens) == 3000 and tokens.offsets[-1].tolist() == [14995, 14999]


def test_clean_span_widens_to_words_and_trims_edges() -> None:
    text = 'He called them "traitors", and worse.'
    assert clean_span(text, 17, 24) == (16, 24)  # mid-word start widened to 'traitors'
    assert text[slice(*clean_span(text, 14, 26))] == '"traitors"'  # balanced quotes kept, comma and space trimmed
    assert clean_span(text, 24, 26) is None  # only punctuation and space


def test_runs_join_small_gaps_but_never_cross_lines() -> None:
    p = np.array([0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.2, 0.9], dtype=np.float32)
    assert token_runs(p, 0.5) == [(0, 2), (3, 6), (7, 8)]
    assert token_runs(p, 0.5, max_gap=1) == [(0, 8)]
    breaks = np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    assert token_runs(p, 0.5, max_gap=1, breaks=breaks) == [(0, 4), (4, 8)]


def test_line_breaks_and_token_lookup() -> None:
    text = "ab cd\nef"
    offsets = np.array([[0, 2], [3, 5], [6, 8]])
    assert line_breaks(text, offsets).tolist() == [False, False, True]
    assert tokens_of(offsets, 3, 8) == (1, 3)
    assert tokens_of(offsets, 4, 5) == (1, 2)


def test_function_word_passages_are_recognised_and_dangling_ends_trimmed() -> None:
    assert only_function_words("If") and only_function_words("the") and only_function_words("we are")
    assert not only_function_words("the United") and not only_function_words("traitors")
    text = 'They are the "traitors" of the nation and'
    assert text[: trim_dangling_end(text, 0, len(text))] == 'They are the "traitors" of the nation'
    assert text[: trim_dangling_end(text, 0, 26)] == 'They are the "traitors"'  # ...' of' dropped, quote kept
    lock = "lock them up"
    assert trim_dangling_end(lock, 0, len(lock)) == len(lock)  # particles and pronouns end phrases


def test_leading_words_a_phrase_never_starts_with_are_dropped() -> None:
    text = "the mayor and his cronies"
    assert text[slice(*clean_span(text, 10, len(text)))] == "his cronies"
    quoted = 'made of "traitors" and of \u201cthieves\u201d'
    assert quoted[trim_dangling_start(quoted, 5, len(quoted)) :] == '"traitors" and of \u201cthieves\u201d'
    assert quoted[trim_dangling_start(quoted, 19, len(quoted)) :] == "\u201cthieves\u201d"  # 'and of' both go
    assert trim_dangling_start("not a patriot", 0, 13) == 0  # dropping "not" would reverse the phrase
    assert trim_dangling_start("The enemy of", 0, 12) == 0  # "the" starts many gold spans
    assert trim_dangling_start("of them", 0, 7) == 3  # one word is always left


def test_runs_that_widen_onto_one_word_become_one_passage() -> None:
    text = "The so-called experts lied."
    offsets = np.array([[0, 3], [4, 6], [6, 7], [7, 13], [14, 21], [22, 26]])
    presence = np.array([0.1, 0.9, 0.1, 0.6, 0.1, 0.1], dtype=np.float32)
    runs = token_runs(presence, 0.5)
    assert runs == [(1, 2), (3, 4)]  # "so" and "called", split by a weak hyphen
    assert runs_to_spans(text, offsets, presence, runs) == [(4, 13, pytest.approx(0.9))]


def test_clean_span_never_cuts_a_word_at_an_apostrophe() -> None:
    text = "They\u2019ll never learn, won't they"
    assert text[slice(*clean_span(text, 5, 12))] == "They\u2019ll never"  # 'll' widened to the whole word
    assert text[slice(*clean_span(text, 21, 24))] == "won't"


def test_clean_span_keeps_hyphenated_words_whole() -> None:
    text = "The so-called experts lied."
    assert text[slice(*clean_span(text, 7, 21))] == "so-called experts"  # started at 'called'


def test_clean_span_drops_a_stub_of_the_next_or_previous_sentence() -> None:
    text = "The only force trying to save its creation is the United States. Rapid liberation follows."
    stub_after = text.index("Rapid") + len("Rapid")
    assert text[slice(*clean_span(text, 15, stub_after))] == "trying to save its creation is the United States."
    text = "He said so in this way. Another way to save their own skin is flight."
    assert text[slice(*clean_span(text, 10, len(text)))] == "Another way to save their own skin is flight."
    slogans = "Vile. Lies!"  # neither piece is smaller than the rest: a run of short sentences stays whole
    assert text_of(slogans, clean_span(slogans, 0, len(slogans))) == slogans
    abbreviated = "the U.S. Army wrecked it"  # no sentence end after an abbreviation
    assert text_of(abbreviated, clean_span(abbreviated, 0, len(abbreviated))) == abbreviated


def text_of(text: str, span: tuple[int, int] | None) -> str:
    assert span is not None
    return text[span[0] : span[1]]
