"""Which function words PTC annotators almost never start a highlight with.

    python benchmarks/span_starts.py

For every function word that occurs at least MIN_OCCURRENCES times in the distinct gold spans
of PTC train, prints how many of those occurrences are the span's first word. Words under
START_SHARE_CUT are common inside highlights but rarely open one ("of", "and", "is"); decoding
drops them from the start of a passage (`detect.function_words.DANGLING_AT_START`, which must
be exactly these words, less "not"). Dev is not read: the list is chosen on train. Prints a
Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.detect.function_words import DANGLING_AT_START, FUNCTION_WORDS, words  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402

START_SHARE_CUT = 0.035
MIN_OCCURRENCES = 30
#: under the cut, but a highlight without it would say the opposite
KEPT = frozenset({"not"})


def main() -> None:
    train = read_ptc_folder(Settings().ptc_folder("train"))
    starts: Counter[str] = Counter()
    occurrences: Counter[str] = Counter()
    for article_id, ranges in train.si_spans().items():
        text = train.articles[article_id].text
        for start, end in set(ranges):
            span_words = words(text[start:end])
            if span_words:
                starts[span_words[0]] += 1
                occurrences.update(span_words)
    shares = {word: starts[word] / occurrences[word] for word in FUNCTION_WORDS if occurrences[word] >= MIN_OCCURRENCES}
    dangling = sorted((share, word) for word, share in shares.items() if share < START_SHARE_CUT)
    print(f"Function words starting under {START_SHARE_CUT:.1%} of the PTC train gold spans they occur in\n")
    print("| word | spans it starts | spans it occurs in | share | dropped from a passage's start |")
    print("| --- | --- | --- | --- | --- |")
    for share, word in dangling:
        print(f"| {word} | {starts[word]} | {occurrences[word]} | {share:.3f} | {'no' if word in KEPT else 'yes'} |")
    expected = {word for _, word in dangling} - KEPT
    if expected != DANGLING_AT_START:
        sys.exit(f"DANGLING_AT_START differs from this list: {sorted(expected ^ DANGLING_AT_START)}")
    print(f"\n{len(expected)} words; DANGLING_AT_START is exactly this list.")


if __name__ == "__main__":
    main()
