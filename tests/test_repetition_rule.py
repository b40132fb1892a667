"""A phrase repeated through an article is named Repetition first, as PTC annotators name it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from propscope.article import Span
from propscope.detect.predict import (
    REPETITION_OCCURRENCES,
    Encoded,
    PassagesRead,
    Thresholds,
    find_spans,
    label_given_spans,
    ranked_techniques,
)
from propscope.techniques import TECHNIQUE_NAMES

TEXT = (
    "Take back our harbour! The council sold it to cowards.\n"
    "We will not forget. Take back our harbour!\n"
    "The cowards hide. Take back our harbour!"
)
SLOGAN = "Take back our harbour"
LOADED, NAME_CALLING = TECHNIQUE_NAMES.index("Loaded_Language"), TECHNIQUE_NAMES.index("Name_Calling,Labeling")


class LoadedClassifier:
    """Says Loaded_Language (0.7), then Name_Calling (0.2), for any passage; no check."""

    names = TECHNIQUE_NAMES
    check_weight = 0.0

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        row = np.full(len(TECHNIQUE_NAMES), 0.1 / (len(TECHNIQUE_NAMES) - 2), np.float32)
        row[LOADED], row[NAME_CALLING] = 0.7, 0.2
        return np.tile(row, (len(ranges), 1))

    def read(self, text: str, encoded: Encoded, passages: Sequence[tuple[int, int, float]]) -> PassagesRead:
        peaks = np.asarray([peak for _, _, peak in passages], np.float32)
        ranges = [(s, e) for s, e, _ in passages]
        return PassagesRead(peaks, self.probabilities(text, encoded, ranges), ranges)


def at(phrase: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(phrase, start + 1)
    return start, start + len(phrase)


def test_order_puts_repetition_first_only_from_three_occurrences() -> None:
    probabilities = LoadedClassifier().probabilities(TEXT, Encoded.empty(None, 15), [(0, 1)])[0]  # type: ignore[arg-type]
    lowered = TEXT.lower()
    slogan = ranked_techniques(lowered, *at(SLOGAN), probabilities, TECHNIQUE_NAMES)
    assert [TECHNIQUE_NAMES[i] for i in slogan[:3]] == ["Repetition", "Loaded_Language", "Name_Calling,Labeling"]
    assert sorted(slogan.tolist()) == list(range(len(TECHNIQUE_NAMES)))  # every technique still ranked, once
    cowards = ranked_techniques(lowered, *at("cowards"), probabilities, TECHNIQUE_NAMES)  # twice: not enough
    assert [TECHNIQUE_NAMES[i] for i in cowards[:2]] == ["Loaded_Language", "Name_Calling,Labeling"]
    assert REPETITION_OCCURRENCES == 3
    # a scheme without Repetition keeps the classifier's order
    other = ranked_techniques(lowered, *at(SLOGAN), probabilities[:5], TECHNIQUE_NAMES[:5])
    assert other.tolist() == np.argsort(-probabilities[:5]).tolist()


def encoded_with_peaks(tokenizer, peaks: Sequence[tuple[int, int]]) -> Encoded:  # type: ignore[no-untyped-def]
    """The text's tokens, "inside a technique" at 0.9 on the tokens of each range and 0 elsewhere."""
    from propscope.detect.windows import tokenize

    tokens = tokenize(tokenizer, TEXT)
    probabilities = np.zeros((len(tokens), 15), np.float32)
    for start, end in peaks:
        probabilities[(tokens.offsets[:, 0] >= start) & (tokens.offsets[:, 1] <= end), 0] = 0.9
    return Encoded(tokens, probabilities, np.zeros((len(tokens), 3), np.float32))


def test_a_repeated_phrase_is_counted_as_whole_words() -> None:
    from propscope.detect.features import occurrences

    text = "the war. an award. a warning. war!"
    assert occurrences(text, 4, 7, whole_words=True) == 2
    assert occurrences(text, 4, 7) == 4  # the span head's feature, as its weights were trained


def test_tc_names_a_repeated_slogan_repetition_and_keeps_the_classifier_for_the_rest(tokenizer) -> None:  # type: ignore[no-untyped-def]
    given = [
        Span(*at(SLOGAN, 1), "Slogans"),
        Span(*at(SLOGAN, 2), "Slogans"),
        Span(*at(SLOGAN, 2), "Repetition"),  # a range given twice gets two techniques
        Span(*at("cowards"), "Name_Calling,Labeling"),
    ]
    labelled = label_given_spans(TEXT, encoded_with_peaks(tokenizer, []), LoadedClassifier(), given)
    assert [(TEXT[s.start : s.end], s.technique) for s in labelled] == [
        (SLOGAN, "Repetition"),
        (SLOGAN, "Repetition"),
        (SLOGAN, "Loaded_Language"),
        ("cowards", "Loaded_Language"),
    ]


def test_found_repeated_passage_carries_repetition_and_the_classifiers_technique(tokenizer) -> None:  # type: ignore[no-untyped-def]
    encoded = encoded_with_peaks(tokenizer, [at(SLOGAN, 1), at("cowards")])
    spans = find_spans(TEXT, encoded, LoadedClassifier(), Thresholds(span=0.5, second_technique=0.5, extend=0.3))
    assert [(s.start, s.end, s.technique) for s in spans] == [
        (*at("cowards"), "Loaded_Language"),  # Name_Calling's 0.2 is under the second-technique threshold
        (*at(SLOGAN, 1), "Loaded_Language"),
        (*at(SLOGAN, 1), "Repetition"),
    ]


def test_the_rule_is_where_ptc_train_makes_repetition_the_majority_label(ptc_dir: Path) -> None:
    """Chosen on train, never on dev: from 3 occurrences most gold spans are Repetition."""
    from propscope.datastats import repetition_by_occurrences, repetition_majority
    from propscope.formats.ptc import read_ptc_folder

    rows = repetition_by_occurrences(read_ptc_folder(ptc_dir / "train"))
    assert rows[1] == (5184, 144) and rows[2] == (399, 128) and rows[3] == (164, 83)
    assert repetition_majority(rows) == REPETITION_OCCURRENCES


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from propscope.detect.model import default_model_dir
    from propscope.detect.windows import load_tokenizer

    return load_tokenizer(str(default_model_dir() / "tokenizer.json"))
