"""English function words: the words a highlighted passage is never made of alone, and those it
never ends on.

A detector that flags "the" or "if" on its own loses a reader's trust, and a highlight that
stops on "of the" reads like a cut-off sentence. Ends are trimmed of words that cannot close a
phrase (articles, conjunctions, prepositions, auxiliaries), not of pronouns or particles ("lock
them up", "wipe them out"). PTC annotators do start passages with "the", "a" or "if" (over 40%
of gold spans start with a function word), so starts are trimmed only of the few words they
almost never start one with, though those words are common inside their highlights: "of",
"and", "is", "on", "from" (a highlight that opens on "and his cronies" or "of no
consequence" reads like a fragment).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_CLOSERS = "\"'\u201d\u2019)]!?"
_OPENERS = "\"'\u201c\u2018(["

_FUNCTION_WORDS = """
a an the this that these those some any each every either neither no both all such what which whose
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves one who whom whoever whatever
and or but nor so yet if then than as because although though while whereas whether unless until
since when where why how once of in on at to for from by with about into onto over under above below
between through during before after against among around along across behind beyond within without
upon off out up down is are was were be been being am do does did done doing have has had having
will would shall should can could may might must ought not only also just very too more most much
many few less least own same other another else there here now again ever still even s t d ll m re
ve don't doesn't didn't can't cannot won't wouldn't shouldn't couldn't isn't aren't wasn't weren't
hasn't haven't hadn't i'm i've i'd i'll you're you've we're we've they're they've he's she's it's
that's there's what's let's
"""

#: words after which a highlighted phrase cannot stop: determiners, conjunctions, prepositions
#: that need an object, auxiliaries and possessives
_DANGLING_AT_END = """
a an the this these those some any each every no my our your his their its whose and or but nor so
yet if than as because although though while whereas whether unless of in on at to for from by with
into onto over under between through during against among behind about after before like without
within toward towards upon via per across around along beyond near despite including is are was were be
been being am do does
did have has had will would shall should can could may might must that which who whom
"""

#: words a highlighted phrase does not start with: function words that begin under 3.5% of the
#: PTC train gold spans they occur in (at least 30 of them), as `benchmarks/span_starts.py`
#: prints; "not" also qualifies but stays, since a highlight without it would say the opposite
_DANGLING_AT_START = """
about against and be been done ever from him into is me must of on or other out own s should
than them up us
"""

FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
DANGLING_AT_END = frozenset(_DANGLING_AT_END.split())
DANGLING_AT_START = frozenset(_DANGLING_AT_START.split())


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, apostrophes unified (typographic and straight apostrophes alike)."""
    return [normalised(w) for w in _WORD.findall(text)]


def only_function_words(text: str) -> bool:
    """True when `text` has no content word at all (also for text with no words)."""
    return all(word in FUNCTION_WORDS for word in words(text))


def normalised(word: str) -> str:
    """A word as the word lists spell it: lower case, straight apostrophe."""
    return word.lower().replace("\u2019", "'")


def trim_dangling_start(text: str, start: int, end: int) -> int:
    """The start of [start, end) after dropping leading words a phrase does not start with;
    never trims the passage away entirely, and keeps an opening quote or bracket of the first
    word kept."""
    matches = list(_WORD.finditer(text, start, end))
    dropped = 0
    while len(matches) - dropped > 1 and normalised(matches[dropped].group()) in DANGLING_AT_START:
        dropped += 1
    if not dropped:
        return start
    trimmed = matches[dropped].start()
    while trimmed > matches[dropped - 1].end() and text[trimmed - 1] in _OPENERS:
        trimmed -= 1
    return trimmed


def trim_dangling_end(text: str, start: int, end: int) -> int:
    """The end of [start, end) after dropping trailing words that cannot end a phrase; never
    trims the passage away entirely."""
    matches = list(_WORD.finditer(text, start, end))
    if len(matches) < 2 or normalised(matches[-1].group()) not in DANGLING_AT_END:
        return end
    while len(matches) > 1 and normalised(matches[-1].group()) in DANGLING_AT_END:
        matches.pop()
    trimmed = matches[-1].end()
    while trimmed < end and text[trimmed] in _CLOSERS:  # keep a closing quote or bracket of the last word
        trimmed += 1
    return trimmed
