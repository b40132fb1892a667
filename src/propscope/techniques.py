"""The propaganda taxonomies: the 14 SemEval-2020 techniques (the PTC scheme), the 23
SemEval-2023 persuasion techniques, and the mappings between them and the 18 PTC names.

Names are exactly those of the official label files, so spans can be written in those formats
and scored against gold without renaming. Titles, definitions and examples are the project's
own words; colours are chosen to stay distinguishable when highlighted. Everything that takes
technique names from a user goes through `Scheme.parse_names`, so one rule decides what a
valid name is and one message lists the valid ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Technique:
    """One technique as the user sees it: its label-file name plus the words that explain it."""

    name: str
    title: str
    definition: str
    example: str
    colour: str


_SEMEVAL2020: tuple[Technique, ...] = (
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

_SEMEVAL2023: tuple[Technique, ...] = (
    Technique(
        "Appeal_to_Authority",
        "Appeal to authority",
        "A claim is said to be true because an authority, expert or institution backs it, with "
        "their standing offered in place of evidence.",
        "The world's top economists agree, so the debate is over.",
        "#1f77b4",
    ),
    Technique(
        "Appeal_to_Popularity",
        "Appeal to popularity",
        "An idea is presented as right because many or most people hold it, or the reader is "
        "urged to join the majority.",
        "Everyone in town has already signed the petition.",
        "#9467bd",
    ),
    Technique(
        "Appeal_to_Values",
        "Appeal to values",
        "A position is tied to values the audience holds dear (freedom, tradition, faith, "
        "fairness), so that questioning it feels like rejecting the values themselves.",
        "A decent society protects its families; this law does exactly that.",
        "#393b79",
    ),
    Technique(
        "Appeal_to_Fear-Prejudice",
        "Appeal to fear or prejudice",
        "Support is sought by stirring anxiety, panic or hostility towards an alternative or a "
        "group, instead of by reasons.",
        "Open the border and crime will flood every street.",
        "#d62728",
    ),
    Technique(
        "Flag_Waving",
        "Flag-waving",
        "An action or idea is justified by the pride or identity of a nation or group, so that "
        "disagreeing feels like disloyalty.",
        "Real patriots stand behind our troops and this plan.",
        "#17becf",
    ),
    Technique(
        "Causal_Oversimplification",
        "Causal oversimplification",
        "A complex outcome is blamed on a single cause while the other contributing causes are left out.",
        "Unemployment rose for one reason only: the new mayor.",
        "#e377c2",
    ),
    Technique(
        "False_Dilemma-No_Choice",
        "False dilemma",
        "Only two options are presented, or only one, as if no alternative existed.",
        "Either we cut every benefit or the country goes bankrupt.",
        "#8c564b",
    ),
    Technique(
        "Consequential_Oversimplification",
        "Slippery slope",
        "A first step is claimed to lead, through a chain of ever worse consequences, to a "
        "disaster, without showing that the chain is likely.",
        "Allow this one exception and soon there will be no rules at all.",
        "#ad494a",
    ),
    Technique(
        "Straw_Man",
        "Straw man",
        "An opponent's position is replaced by a weaker or distorted version, which is then "
        "refuted instead of the real one.",
        "They want better bus routes, so they clearly want to ban cars.",
        "#c5b0d5",
    ),
    Technique(
        "Red_Herring",
        "Red herring",
        "Irrelevant material is brought in to pull attention away from the question at hand.",
        "Why talk about the budget gap when the stadium looks so good?",
        "#8c6d31",
    ),
    Technique(
        "Whataboutism",
        "Whataboutism",
        "Criticism is deflected by pointing at an opponent's supposed wrongdoing instead of answering it.",
        "And what about the scandals when the other party was in charge?",
        "#637939",
    ),
    Technique(
        "Slogans",
        "Slogans",
        "A brief, catchy phrase stands in for an argument and is made to be remembered and repeated.",
        "Take back our harbour!",
        "#ffbb78",
    ),
    Technique(
        "Appeal_to_Time",
        "Appeal to time",
        "The reader is pushed to act now because the moment has supposedly come, or the time "
        "is running out, rather than because of reasons.",
        "The time for talking is over; we must act tonight.",
        "#e7ba52",
    ),
    Technique(
        "Conversation_Killer",
        "Conversation killer",
        "A short phrase discourages further thought or discussion, closing the question instead of answering it.",
        "It is what it is, end of story.",
        "#98df8a",
    ),
    Technique(
        "Loaded_Language",
        "Loaded language",
        "Words and phrases with strong emotional weight colour how the reader feels about a "
        "subject beyond what the facts support.",
        "The bill is a shameful, cowardly betrayal.",
        "#ff7f0e",
    ),
    Technique(
        "Repetition",
        "Repetition",
        "The same word, phrase or message is repeated so that the audience accepts it through "
        "familiarity rather than argument.",
        "They lied. They lied to you, and they will lie again.",
        "#aec7e8",
    ),
    Technique(
        "Exaggeration-Minimisation",
        "Exaggeration or minimisation",
        "Something is made to look far bigger, better or worse than it is, or a serious matter "
        "is played down as trivial.",
        "This is the greatest disaster in the history of mankind.",
        "#bcbd22",
    ),
    Technique(
        "Obfuscation-Vagueness-Confusion",
        "Obfuscation or vagueness",
        "Deliberately unclear wording lets the audience read into it whatever suits them, or "
        "hides what is actually claimed.",
        "Certain circles are doing certain things that many people find troubling.",
        "#7b4173",
    ),
    Technique(
        "Name_Calling-Labeling",
        "Name calling or labelling",
        "A person or group is given a label the audience fears, hates or admires, so that the label does the arguing.",
        "The so-called experts and their globalist friends are at it again.",
        "#2ca02c",
    ),
    Technique(
        "Doubt",
        "Doubt",
        "The credibility of a person, organisation or claim is undermined by questions or "
        "insinuations rather than evidence.",
        "Can we really believe anything this agency tells us anymore?",
        "#7f7f7f",
    ),
    Technique(
        "Guilt_by_Association",
        "Guilt by association",
        "An idea or person is discredited by linking it to a group or figure the audience despises.",
        "That is exactly the kind of plan a dictator would love.",
        "#843c39",
    ),
    Technique(
        "Appeal_to_Hypocrisy",
        "Appeal to hypocrisy",
        "A person's argument is dismissed by pointing out that they themselves did not live up to it.",
        "He preaches saving energy but flies to every meeting.",
        "#a55194",
    ),
    Technique(
        "Questioning_the_Reputation",
        "Questioning the reputation",
        "The character or record of a person or group is attacked to discredit what they say, "
        "rather than the point itself.",
        "Coming from a councillor with her record, nobody should listen.",
        "#5254a3",
    ),
)


@dataclass(frozen=True)
class Scheme:
    """A set of techniques annotated together: names, explanations and colours."""

    name: str
    title: str
    techniques: tuple[Technique, ...]
    by_name: dict[str, Technique] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {t.name: t for t in self.techniques})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.techniques)

    def get(self, name: str) -> Technique:
        """The technique called `name`; ValueError listing the valid names otherwise."""
        try:
            return self.by_name[name]
        except (KeyError, TypeError):
            raise ValueError(self.unknown_message(name)) from None

    def is_known(self, name: str) -> bool:
        return name in self.by_name

    def unknown_message(self, name: object) -> str:
        return f"unknown technique {name!r} in the {self.name} scheme; expected one of: {', '.join(self.names)}"

    def parse_names(self, values: str | Iterable[str]) -> tuple[str, ...]:
        """Technique names from a user: one string (names separated by commas, as on the command
        line) or an iterable of such strings. Names may contain commas themselves
        ("Name_Calling,Labeling"), so a comma ends a name only where the part before it is one.
        ValueError naming the first unknown name and listing the valid ones."""
        if isinstance(values, str):
            values = [values]
        names: list[str] = []
        for value in values:
            if not isinstance(value, str):
                raise ValueError(f"technique names must be strings, got {type(value).__name__}")
            current = ""
            for part in value.split(","):
                current = f"{current},{part}" if current else part
                if self.is_known(current.strip()):
                    names.append(current.strip())
                    current = ""
            if current.strip():
                raise ValueError(self.unknown_message(current.strip()))
        return tuple(dict.fromkeys(names))


SEMEVAL2020 = Scheme("semeval2020", "SemEval-2020 Task 11 (PTC, 14 techniques)", _SEMEVAL2020)
SEMEVAL2023 = Scheme("semeval2023", "SemEval-2023 Task 3 (23 persuasion techniques)", _SEMEVAL2023)
SCHEMES: dict[str, Scheme] = {scheme.name: scheme for scheme in (SEMEVAL2020, SEMEVAL2023)}
DEFAULT_SCHEME = SEMEVAL2020.name


def scheme(name: str) -> Scheme:
    """The scheme called `name`; ValueError listing the schemes otherwise."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; expected one of: {', '.join(SCHEMES)}") from None


def known_in_any_scheme(name: str) -> bool:
    return any(s.is_known(name) for s in SCHEMES.values())


def every_technique() -> tuple[Technique, ...]:
    """Each technique name of every scheme once (a name both schemes use, such as Doubt, has
    the same title and colour in both), in scheme order: what a page showing analyses of any
    scheme needs styles and explanations for."""
    found: dict[str, Technique] = {}
    for each in SCHEMES.values():
        for technique in each.techniques:
            found.setdefault(technique.name, technique)
    return tuple(found.values())


def describe(name: str) -> Technique:
    """The technique called `name` in whichever scheme has it (the PTC scheme first)."""
    for each in SCHEMES.values():
        if each.is_known(name):
            return each.get(name)
    raise ValueError(SEMEVAL2020.unknown_message(name))


# The default (PTC) scheme's values under their historical names.
TECHNIQUES: tuple[Technique, ...] = SEMEVAL2020.techniques
TECHNIQUE_NAMES: tuple[str, ...] = SEMEVAL2020.names
get = SEMEVAL2020.get
is_known = SEMEVAL2020.is_known
parse_names = SEMEVAL2020.parse_names


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


#: Each SemEval-2023 technique onto the PTC scheme where one exists (the organisers' mapping;
#: None: the technique has no PTC counterpart).
SEMEVAL2023_TO_SEMEVAL2020: dict[str, str | None] = {
    "Appeal_to_Authority": "Appeal_to_Authority",
    "Appeal_to_Popularity": "Bandwagon,Reductio_ad_hitlerum",
    "Appeal_to_Values": None,
    "Appeal_to_Fear-Prejudice": "Appeal_to_fear-prejudice",
    "Flag_Waving": "Flag-Waving",
    "Causal_Oversimplification": "Causal_Oversimplification",
    "False_Dilemma-No_Choice": "Black-and-White_Fallacy",
    "Consequential_Oversimplification": None,
    "Straw_Man": "Whataboutism,Straw_Men,Red_Herring",
    "Red_Herring": "Whataboutism,Straw_Men,Red_Herring",
    "Whataboutism": "Whataboutism,Straw_Men,Red_Herring",
    "Slogans": "Slogans",
    "Appeal_to_Time": None,
    "Conversation_Killer": "Thought-terminating_Cliches",
    "Loaded_Language": "Loaded_Language",
    "Repetition": "Repetition",
    "Exaggeration-Minimisation": "Exaggeration,Minimisation",
    "Obfuscation-Vagueness-Confusion": None,
    "Name_Calling-Labeling": "Name_Calling,Labeling",
    "Doubt": "Doubt",
    "Guilt_by_Association": "Bandwagon,Reductio_ad_hitlerum",
    "Appeal_to_Hypocrisy": "Whataboutism,Straw_Men,Red_Herring",
    "Questioning_the_Reputation": None,
}

#: The 14 generic frames of SemEval-2023 subtask 2 (the Media Frames Corpus), as label files
#: name them, with a plain description each.
FRAMES: dict[str, str] = {
    "Economic": "costs, benefits, money and the economy",
    "Capacity_and_resources": "whether there is enough: people, money, space, supplies",
    "Morality": "right and wrong, religious or ethical duty",
    "Fairness_and_equality": "who is treated equally or unequally, and whether that is just",
    "Legality_Constitutionality_and_jurisprudence": "what the law and the courts allow or forbid",
    "Policy_prescription_and_evaluation": "what policy should be made and whether policies work",
    "Crime_and_punishment": "breaking the law, enforcement, sentences",
    "Security_and_defense": "threats to the nation or the public, military and defence",
    "Health_and_safety": "health care, disease, injury and safety",
    "Quality_of_life": "how people's daily lives and well-being are affected",
    "Cultural_identity": "traditions, customs and the identity of a group",
    "Public_opinion": "what the public thinks, polls, protests",
    "Political": "parties, elections, politicians and political manoeuvring",
    "External_regulation_and_reputation": "a country's standing abroad, relations and treaties",
}

#: The genres of SemEval-2023 subtask 1.
GENRES: tuple[str, ...] = ("opinion", "reporting", "satire")
