"""Turning per-token probabilities into clean character spans.

A span is a run of tokens whose probability stays above a threshold. Its edges are moved out
to whole words (a word piece never starts or ends a span) and then in past white space and
stray punctuation, so spans read like something a person would highlight.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from propscope.detect.function_words import trim_dangling_end, trim_dangling_start, words
from propscope.sentences import split_sentences

_STRIP_EDGES = " \t\r\n\u00a0,;:-\u2013\u2014"
_QUOTES = {'"': '"', "\u201c": "\u201d", "(": ")", "'": "'", "\u2018": "\u2019"}
_JOINERS = "'\u2019-"  # inside a word between letters: apostrophes and hyphens
#: a piece of a passage beyond a sentence end with at most this many words is dropped
SENTENCE_FRAGMENT_WORDS = 3


def line_breaks(text: str, offsets: NDArray[np.int64]) -> NDArray[np.bool_]:
    """True for each token preceded by a line break since the previous token."""
    breaks = np.zeros(len(offsets), dtype=bool)
    for index in range(1, len(offsets)):
        breaks[index] = "\n" in text[offsets[index - 1, 1] : offsets[index, 0]]
    return breaks


def token_runs(
    probabilities: NDArray[np.float32],
    threshold: float,
    max_gap: int = 0,
    breaks: NDArray[np.bool_] | None = None,
) -> list[tuple[int, int]]:
    """[first, last) token runs above `threshold`; runs split by <= max_gap tokens are joined,
    but never across a line break (`breaks[i]`: a line ends before token i)."""
    above = np.flatnonzero(probabilities >= threshold)
    after_break = np.cumsum(breaks) if breaks is not None else np.zeros(len(probabilities), dtype=np.int64)
    runs: list[tuple[int, int]] = []
    for index in above:
        same_line = not runs or after_break[index] == after_break[runs[-1][1] - 1]
        if runs and same_line and index - runs[-1][1] <= max_gap:
            runs[-1] = (runs[-1][0], int(index) + 1)
        else:
            runs.append((int(index), int(index) + 1))
    return runs


def _inside_word(text: str, index: int) -> bool:
    """True when a span edge at `index` would cut a word: inside "wo|rd", and on either side
    of the apostrophe or hyphen in "don|'|t" or "so|-|called"."""
    if index <= 0 or index >= len(text):
        return False
    before, after = text[index - 1], text[index]
    if before.isalnum() and after.isalnum():
        return True
    if after in _JOINERS and index + 1 < len(text):
        return before.isalnum() and text[index + 1].isalnum()
    return before in _JOINERS and after.isalnum() and index >= 2 and text[index - 2].isalnum()


def trim_sentence_fragments(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a stub of a few words that a passage takes from the next or previous sentence
    ("... the United States. Rapid"): a highlight reads as one thought, and annotators rarely
    run one on into a sentence for a word or two."""
    pieces = [(start + s, start + e) for s, e in split_sentences(text[start:end])]
    counts = [len(words(text[s:e])) for s, e in pieces]
    if len(pieces) > 1 and counts[-1] <= SENTENCE_FRAGMENT_WORDS and counts[-1] < sum(counts[:-1]):
        pieces, counts = pieces[:-1], counts[:-1]
    if len(pieces) > 1 and counts[0] <= SENTENCE_FRAGMENT_WORDS and counts[0] < sum(counts[1:]):
        pieces, counts = pieces[1:], counts[1:]
    return (pieces[0][0], pieces[-1][1]) if pieces else (start, end)


def clean_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Widen to whole words, trim white space, separators, unmatched quotes, and the leading
    and trailing words that cannot start or end a phrase."""
    while _inside_word(text, start):
        start -= 1
    while _inside_word(text, end):
        end += 1
    start, end = trim_sentence_fragments(text, start, end)
    end = trim_dangling_end(text, start, end)
    start = trim_dangling_start(text, start, end)
    changed = True
    while changed and start < end:
        changed = False
        while start < end and text[start] in _STRIP_EDGES:
            start, changed = start + 1, True
        while end > start and text[end - 1] in _STRIP_EDGES:
            end, changed = end - 1, True
        if start < end and text[start] in _QUOTES and _QUOTES[text[start]] not in text[start + 1 : end]:
            start, changed = start + 1, True
        if start < end and text[end - 1] in _QUOTES.values():
            opening = [o for o, c in _QUOTES.items() if c == text[end - 1]]
            if not any(o in text[start : end - 1] for o in opening):
                end, changed = end - 1, True
    if end - start < 2:
        return None
    return start, end


def runs_to_spans(
    text: str, offsets: NDArray[np.int64], probabilities: NDArray[np.float32], runs: list[tuple[int, int]]
) -> list[tuple[int, int, float]]:
    """(start, end, highest probability) for each run that survives cleaning, in text order.

    Cleaning widens a run to whole words, so two runs can land on the same words: "so" and
    "called" are separate runs when the hyphen between them scores low, and both widen to
    "so-called". Such runs become one passage with the higher peak; otherwise a reader would
    see one phrase flagged twice, with two scores."""
    spans: list[tuple[int, int, float]] = []
    for first, last in runs:
        cleaned = clean_span(text, int(offsets[first, 0]), int(offsets[last - 1, 1]))
        if cleaned is None:
            continue
        start, end, peak = cleaned[0], cleaned[1], float(probabilities[first:last].max())
        if spans and start < spans[-1][1]:
            previous = spans.pop()
            start, end, peak = min(start, previous[0]), max(end, previous[1]), max(peak, previous[2])
        spans.append((start, end, peak))
    return spans


def tokens_of(offsets: NDArray[np.int64], start: int, end: int) -> tuple[int, int]:
    """[first, last) indices of the tokens that overlap characters [start, end)."""
    first = int(np.searchsorted(offsets[:, 1], start, side="right"))
    last = int(np.searchsorted(offsets[:, 0], end, side="left"))
    if last <= first:  # a span inside one token, or between tokens: take the nearest token
        last = min(first + 1, len(offsets))
        first = max(0, last - 1)
    return first, last
