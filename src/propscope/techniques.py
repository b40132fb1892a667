"""The propaganda taxonomy: the 14 SemEval-2020 techniques and the 18 fine-grained PTC names.

The names are exactly those of the PTC label files, so that spans can be written in that
format and scored against gold without any renaming. Titles, definitions and example phrases
are the project's own words; colours are chosen to stay distinguishable when highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Technique:
    """One technique as the user sees it: its label-file name plus the words that explain it."""

    name: str
    title: str
    definition: str
    example: str
    colour: str


TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "Appeal_to_Authority",
        "Appeal to authority",
        "A claim is presented as true because an expert, official or famous person said so, "
        "without the evidence itself. The authority may be real, but their word stands in for "
        "the argument.",
        "Leading scientists all agree that this policy will ruin the country.",
        "#1f77b4",
    ),
    Technique(
        "Appeal_to_fear-prejudice",
        "Appeal to fear or prejudice",
        "The text tries to win support for an idea by stirring up anxiety, panic or hostility "
        "towards an alternative or a group. The reader is pushed to act out of fear rather than "
        "reason.",
        "If we let them in, our streets will never be safe again.",
        "#d62728",
    ),
    Technique(
        "Bandwagon,Reductio_ad_hitlerum",
        "Bandwagon or guilt by association",
        "Either the reader is urged to agree because 'everyone' already does, or an idea is "
        "rejected because a hated group is said to hold it. Popularity or association replaces "
        "the argument.",
        "Millions of people have already switched, so why haven't you?",
        "#9467bd",
    ),
    Technique(
        "Black-and-White_Fallacy",
        "Black-and-white fallacy",
        "Only two options are offered as if no others existed, usually one good and one "
        "disastrous. Middle ground and alternatives are left out on purpose.",
        "You either stand with our plan or you stand with the criminals.",
        "#8c564b",
    ),
    Technique(
        "Causal_Oversimplification",
        "Causal oversimplification",
        "A complex outcome is blamed on one single cause, or one cause is said to lead "
        "inevitably to a result. Other contributing factors are ignored.",
        "Prices went up for one reason only: the new mayor.",
        "#e377c2",
    ),
    Technique(
        "Doubt",
        "Doubt",
        "The credibility of a person, organisation or claim is undermined by raising questions "
        "or insinuations rather than evidence. The aim is to make the reader distrust, not to "
        "inform.",
        "Can we really believe anything this agency tells us anymore?",
        "#7f7f7f",
    ),
    Technique(
        "Exaggeration,Minimisation",
        "Exaggeration or minimisation",
        "Something is made to look far bigger, better or worse than it is, or a serious matter "
        "is played down as trivial. The scale is distorted to steer the reader's judgement.",
        "This is the greatest disaster in the history of mankind.",
        "#bcbd22",
    ),
    Technique(
        "Flag-Waving",
        "Flag-waving",
        "An idea is justified by appealing to patriotism or to the pride of a group. Disagreeing "
        "is made to feel like betraying one's nation or community.",
        "Every true patriot knows this is what our nation deserves.",
        "#17becf",
    ),
    Technique(
        "Loaded_Language",
        "Loaded language",
        "Words and phrases with strong emotional weight are used to colour how the reader feels "
        "about a subject. The wording goes beyond what the facts support.",
        "The bill is a shameful, cowardly betrayal.",
        "#ff7f0e",
    ),
    Technique(
        "Name_Calling,Labeling",
        "Name calling or labelling",
        "A person or group is attached to a label the audience fears, hates or admires, so that "
        "the label does the arguing. It is often a short insulting or glorifying noun phrase.",
        "The so-called experts and their globalist friends are at it again.",
        "#2ca02c",
    ),
    Technique(
        "Repetition",
        "Repetition",
        "The same message, word or phrase is repeated over and over. The audience comes to "
        "accept it through familiarity rather than argument.",
        "They lied. They lied to you, and they will lie again.",
        "#aec7e8",
    ),
    Technique(
        "Slogans",
        "Slogans",
        "A brief, striking phrase, often a label or a stereotype, stands in for an argument. It "
        "is made to be remembered and repeated.",
        "Take back our future!",
        "#ffbb78",
    ),
    Technique(
        "Thought-terminating_Cliches",
        "Thought-terminating cliché",
        "A short, familiar phrase discourages further thinking or discussion. It closes the "
        "question instead of answering it.",
        "It is what it is.",
        "#98df8a",
    ),
    Technique(
        "Whataboutism,Straw_Men,Red_Herring",
        "Whataboutism, straw man or red herring",
        "Criticism is deflected by pointing at an opponent's supposed hypocrisy, or an "
        "opponent's position is replaced by a weaker caricature. Irrelevant material may also "
        "be brought in to pull attention away from the issue.",
        "And what about the scandals when the other party was in charge?",
        "#c5b0d5",
    ),
)

TECHNIQUE_NAMES: tuple[str, ...] = tuple(t.name for t in TECHNIQUES)
BY_NAME: dict[str, Technique] = {t.name: t for t in TECHNIQUES}

#: The 18 fine-grained techniques the PTC annotators used, mapped onto the 14 SemEval-2020
#: classes. Obfuscation was dropped by the task organisers (too rare), so it maps to None.
PTC18_TO_SEMEVAL14: dict[str, str | None] = {
    "Loaded_Language": "Loaded_Language",
    "Name_Calling,Labeling": "Name_Calling,Labeling",
    "Repetition": "Repetition",
    "Exaggeration,Minimisation": "Exaggeration,Minimisation",
    "Doubt": "Doubt",
    "Appeal_to_fear-prejudice": "Appeal_to_fear-prejudice",
    "Flag-Waving": "Flag-Waving",
    "Causal_Oversimplification": "Causal_Oversimplification",
    "Slogans": "Slogans",
    "Appeal_to_Authority": "Appeal_to_Authority",
    "Black-and-White_Fallacy": "Black-and-White_Fallacy",
    "Thought-terminating_Cliches": "Thought-terminating_Cliches",
    "Whataboutism": "Whataboutism,Straw_Men,Red_Herring",
    "Straw_Men": "Whataboutism,Straw_Men,Red_Herring",
    "Red_Herring": "Whataboutism,Straw_Men,Red_Herring",
    "Bandwagon": "Bandwagon,Reductio_ad_hitlerum",
    "Reductio_ad_hitlerum": "Bandwagon,Reductio_ad_hitlerum",
    "Obfuscation,Intentional_Vagueness,Confusion": None,
}


def get(name: str) -> Technique:
    """Look a technique up by its label-file name, with an error that lists the valid names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown technique {name!r}; expected one of: {', '.join(TECHNIQUE_NAMES)}") from None


def is_known(name: str) -> bool:
    """True for one of the 14 SemEval-2020 technique names."""
    return name in BY_NAME
