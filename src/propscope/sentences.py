"""Sentence boundaries as character offsets, for sentence flags and the sentence-level metric.

PTC articles already hold one sentence per line, so lines are the first cut. Within a line a
light rule splits after ., ! or ? followed by a capitalised word, except after common
abbreviations; it is deterministic and needs no model, so gold and predictions are always cut
the same way.

The detector reads each passage with its own sentences as context, and measures the passage
against them, rather than against its line: its heads learnt both from PTC's one sentence a
line, and news pasted from elsewhere comes as paragraphs or one long line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

_LINE = re.compile(r"[^\r\n]+")
_CLOSERS = re.escape("\"')]\u201d\u2019")
_OPENERS = re.escape("\"'([\u201c\u2018")
_BOUNDARY = re.compile(rf"(?<=[.!?])([{_CLOSERS}]*)\s+(?=[{_OPENERS}]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "rep",
        "sen",
        "gov",
        "pres",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "fig",
    ]
)


def _ends_with_abbreviation(text: str) -> bool:
    word = text.rsplit(None, 1)[-1].rstrip(".").lower() if text.strip() else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence, trimmed of surrounding white space."""
    sentences: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for boundary in _BOUNDARY.finditer(text, line.start(), line.end()):
            if _ends_with_abbreviation(text[start : boundary.start()]):
                continue
            sentences.append((start, boundary.end(1)))
            start = boundary.end()
        sentences.append((start, line.end()))
    return [trimmed for s, e in sentences if (trimmed := _trim(text, s, e))]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


@dataclass(frozen=True)
class SentenceBounds:
    """Where a text's sentences start and end (`split_sentences`), for the question decoding
    asks of every passage: which sentences hold it."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    length: int

    def enclosing(self, start: int, end: int) -> tuple[int, int]:
        """[start, end) of the sentences [start, end) lies in (the whole text when it has none)."""
        if not self.starts:
            return 0, self.length
        first = max(0, bisect.bisect_right(self.starts, start) - 1)
        last = min(len(self.ends) - 1, max(first, bisect.bisect_left(self.ends, end)))
        return self.starts[first], self.ends[last]


@lru_cache(maxsize=8)
def sentence_bounds(text: str) -> SentenceBounds:
    """The text's `SentenceBounds`, computed once: every passage of an article asks for them,
    and the article's text is one string throughout its analysis."""
    sentences = split_sentences(text)
    return SentenceBounds(tuple(s for s, _ in sentences), tuple(e for _, e in sentences), len(text))
