"""Hand-made features of a candidate span that the encoder cannot see from one window.

Repetition is about the rest of the article (the same phrase appearing again), and several
techniques differ mostly in shape (a short label versus a whole clause, a question). These
few numbers are given to the span classifier next to the encoder's view of the span; they
are computed the same way in training and in inference.
"""

from __future__ import annotations

import math
import re

import numpy as np
from numpy.typing import NDArray

from propscope.sentences import sentence_bounds

N_FEATURES = 6
_WORD = re.compile(r"\w+")


def occurrences(lowered_text: str, start: int, end: int, *, whole_words: bool = False) -> int:
    """How often the span's phrase (case-folded, trimmed) appears in its article, itself
    included; `lowered_text` is the article in lower case. With `whole_words`, only where it
    is not part of a longer word ("war" is not in "award"); without, as the span head's
    feature has always counted it (its trained weights expect that count)."""
    phrase = lowered_text[start:end].strip()
    if not phrase:
        return 1
    if not whole_words:
        return lowered_text.count(phrase)
    return max(1, len(re.findall(rf"(?<!\w){re.escape(phrase)}(?!\w)", lowered_text)))


def span_features(text: str, start: int, end: int, lowered_text: str | None = None) -> NDArray[np.float32]:
    """Length, repetition elsewhere in the article, sentence coverage and punctuation cues."""
    lowered = lowered_text if lowered_text is not None else text.lower()
    sentence_start, sentence_end = sentence_bounds(text).enclosing(start, end)
    sentence_length = max(1, sentence_end - sentence_start)
    words = len(_WORD.findall(text[start:end]))
    return np.asarray(
        [
            math.log1p(words),
            math.log1p(max(0, occurrences(lowered, start, end) - 1)),
            min(1.0, (end - start) / sentence_length),
            float("?" in text[start : min(len(text), end + 1)]),
            float("!" in text[start : min(len(text), end + 1)]),
            float(any(q in text[max(0, start - 1) : end + 1] for q in '"“”')),
        ],
        dtype=np.float32,
    )
