"""How the passage check's epochs and weight move SI, FLC and sentence F1 on PTC dev.

    python benchmarks/passage_check_grid.py [--model DIR] [--members N] [--article-vectors]
        [--epochs E ...] [--weights W ...]
        [--out-of-fold TAGGER=FOLDER ... [--own-too | --averaged-with-own]]

The model's encoder (default: the shipped one) reads every candidate passage its tagger
proposes in the PTC train articles (as `propscope ship --span-input marked` does), and a check
is fitted for each number of epochs (the rest as `train.marked_head.PassageCheckSettings`, but
for `--members`, the heads a check averages, and `--article-vectors`, a check that also reads
each passage's vectors from the article's encoding). With `--out-of-fold`, the candidates come
instead from taggers that never trained on the articles they propose in (folds written by
`propscope folds`), still read by the model's encoder: the false alarms a tagger makes
on articles it has not seen, which its own training articles under-show. `--own-too` adds the
model's own candidates to theirs; `--averaged-with-own` instead averages each check with a head
fitted on the model's own candidates (`PassageCheckSettings.head`), as `propscope refit
--check-out-of-fold` fits the shipped check, the grid's epochs then being the out-of-fold head's.
Every row is then tuned on dev exactly as shipping tunes a model (`DevTuner.tune`: extend, gap,
calibration, span and second-technique thresholds), with the model's own span head naming the
techniques; weight 0 is the model without a check. Dev passages are read once and remembered,
as pooled readings only, so a model's edge model (`detect.edges`) moves no passage here: rows
compare checks with each other, not with the shipped model's figures.
Each row also says which of the seed article's true findings that `tests/test_shipped_model.py`
requires it still reports, and which of the lone words that test forbids it flags. Prints a
Markdown table for docs/BENCHMARKS.md. The shipped settings were chosen from this grid, so its
spread is also how much the shipped figures may flatter the model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.article import Span  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.calibration import Calibration  # noqa: E402
from propscope.detect.marked_spans import MarkedSpanClassifier, PassageCheck, head_inputs  # noqa: E402
from propscope.detect.predict import (  # noqa: E402
    Encoded,
    Passage,
    PassagesRead,
    SpanClassifier,
    SpanHead,
    Thresholds,
    find_spans,
    ranges_of,
)
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.detect.tuning import DevTuner, encode_dev  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.train.marked_head import (  # noqa: E402
    CandidateReadings,
    PassageCheckSettings,
    fit_check_head,
    read_candidates,
    tagger_and_folder,
)

EPOCHS = (4, 8, 16)
WEIGHTS = (0.25, 0.5, 0.75, 1.0)
#: the seed article's true findings the shipped-model test requires: phrase, technique (None: any)
SEED_FINDINGS = (
    ("sinful", "Loaded_Language"),
    ("jihadists", "Name_Calling,Labeling"),
    ("terrorists\u2019 supporter", "Name_Calling,Labeling"),
    ("black evil", None),  # inside a passage of any technique
)
#: words the same test forbids as a passage on their own (the issue's false alarms)
SEED_FALSE_ALARMS = ("if", "offensive", "united", "the", "battlefield", "west", "creating", "unlikely")


def marked_classifier(runtime: ModelRuntime) -> MarkedSpanClassifier:
    """The model's classifier; the script stops, naming the model, when it does not read passages marked."""
    marked = runtime.classifier
    if not isinstance(marked, MarkedSpanClassifier):
        sys.exit(f"{runtime.model_id} does not read passages marked; ship it with --span-input marked")
    return marked


def seed_article() -> str:
    """The real propaganda article of the shared data that `tests/test_shipped_model.py` reads."""
    return (Settings().ptc_folder().parents[1] / "examples" / "seed-article.txt").read_text(encoding="utf-8")


def dev_and_seed(runtime: ModelRuntime) -> tuple[DevTuner, dict[str, Encoded], str, Encoded]:
    """A tuner for PTC dev and the model's encodings of its articles, then the seed article and
    its encoding: what every row of a grid is measured on."""
    tuner, encoded = encode_dev(runtime, Settings().ptc_folder("dev"))
    seed = seed_article()
    return tuner, encoded, seed, runtime.encode_many([seed])[0]


def f1_cells(f1: dict[str, float]) -> str:
    """SI, FLC and sentence F1, then their sum (what tuning maximises), as table cells."""
    return f"{f1['si']:.4f} | {f1['flc']:.4f} | {f1['sentence']:.4f} | {f1['si'] + f1['flc'] + f1['sentence']:.4f}"


def seed_article_cells(spans: Sequence[Span], seed: str) -> str:
    """Two table cells for a model's `spans` on the seed article: which of the true findings
    the shipped-model test requires it reports, and which words that test forbids it flags
    alone."""
    kept = [
        phrase
        for phrase, technique in SEED_FINDINGS
        if any(
            s.start <= seed.index(phrase)
            and seed.index(phrase) + len(phrase) <= s.end
            and technique in (None, s.technique)
            for s in spans
        )
    ]
    lost = [phrase for phrase, _ in SEED_FINDINGS if phrase not in kept]
    alone = sorted({seed[s.start : s.end].lower() for s in spans} & set(SEED_FALSE_ALARMS))
    return (
        f"{len(kept)} of {len(SEED_FINDINGS)}"
        + (f" ({', '.join(lost)} lost)" if lost else "")
        + f" | {', '.join(alone) or 'none'}"
    )


def seed_cells(
    seed: str, seed_encoded: Encoded, classifier: SpanClassifier, thresholds: Thresholds, calibration: Calibration
) -> str:
    """`seed_article_cells` of what `classifier` reports on the seed article at `thresholds`."""
    return seed_article_cells(find_spans(seed, seed_encoded, classifier, thresholds, calibration), seed)


@dataclass
class RememberedReadings:
    """The model's marked classifier with a replaceable check (None: weight 0), whose
    readings of dev passages are kept across the grid's rows."""

    marked: MarkedSpanClassifier
    memory: dict[tuple[str, int, int], NDArray[np.float32]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return self.marked.names

    @property
    def check_weight(self) -> float:
        return self.marked.check_weight

    def readings(self, text: str, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        missing = [r for r in dict.fromkeys(ranges) if (text, *r) not in self.memory]
        if missing:
            rows = self.marked.readings(text, missing)
            self.memory.update({(text, *r): row for r, row in zip(missing, rows, strict=True)})
        return np.stack([self.memory[(text, *r)] for r in ranges])

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        if not ranges:
            return np.zeros((0, len(self.names)), np.float32)
        return self.marked.techniques(encoded, ranges, head_inputs(self.readings(text, ranges), text, ranges))

    def read(self, text: str, encoded: Encoded, passages: Sequence[Passage]) -> PassagesRead:
        if not passages:
            return PassagesRead(np.zeros(0, np.float32), np.zeros((0, len(self.names)), np.float32), [])
        return self.marked.judge(text, encoded, passages, self.readings(text, ranges_of(passages)))


def out_of_fold_argument(pair: str) -> tuple[Path, Path]:
    """`--out-of-fold`'s TAGGER=FOLDER, or a usage error naming the argument."""
    try:
        return tagger_and_folder(pair)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--members", type=int, default=PassageCheckSettings().head.members, help="check heads averaged")
    parser.add_argument("--epochs", type=int, nargs="+", default=EPOCHS)
    parser.add_argument("--weights", type=float, nargs="+", default=WEIGHTS)
    parser.add_argument("--article-vectors", action="store_true", help="the check also reads the article's vectors")
    parser.add_argument(
        "--out-of-fold",
        nargs="+",
        default=[],
        type=out_of_fold_argument,
        metavar="TAGGER=FOLDER",
        help="fit the check on the candidates each TAGGER (a model folder) proposes in FOLDER, a PTC folder of "
        "train articles it never trained on ('propscope folds'), instead of the model's own train candidates",
    )
    parser.add_argument("--own-too", action="store_true", help="with --out-of-fold, the model's own candidates too")
    parser.add_argument(
        "--averaged-with-own",
        action="store_true",
        help="with --out-of-fold, each check averages its head (the grid's epochs) with one fitted on the model's "
        "own candidates as shipping fits it (as `propscope refit --check-out-of-fold` does)",
    )
    args = parser.parse_args()
    if (args.own_too or args.averaged_with_own) and not args.out_of_fold:
        parser.error("--own-too and --averaged-with-own need --out-of-fold")
    if args.own_too and args.averaged_with_own:
        parser.error("--own-too and --averaged-with-own are two ways of using the model's own candidates; pick one")
    runtime = ModelRuntime.load(args.model, spin=False)
    default = PassageCheckSettings()
    settings = replace(default, article_vectors=args.article_vectors, head=replace(default.head, members=args.members))
    parts = [
        read_candidates(
            runtime,
            read_ptc_folder(folder),
            settings.extend,
            settings.max_gap,
            article_vectors=settings.article_vectors,
            proposer=ModelRuntime.load(tagger, spin=False),
        )
        for tagger, folder in args.out_of_fold
    ]
    own = (
        read_candidates(
            runtime,
            read_ptc_folder(Settings().ptc_folder("train")),
            settings.extend,
            settings.max_gap,
            article_vectors=settings.article_vectors,
        )
        if args.own_too or args.averaged_with_own or not parts
        else None
    )
    if own is not None and not args.averaged_with_own:
        parts.append(own)
    readings = CandidateReadings.joined(parts)
    tuner, encoded, seed, seed_encoded = dev_and_seed(runtime)
    marked = marked_classifier(runtime)
    classifier = RememberedReadings(marked)
    print(
        f"Model {runtime.model_id}: {len(readings.passages)} train candidates at extend {settings.extend} "
        + (
            f"proposed by {', '.join(f'{t}={f}' for t, f in args.out_of_fold)}"
            + f"{' and the model' if args.own_too else ''} "
            + ("(each averaged with a head on the model's own candidates) " if args.averaged_with_own else "")
            if args.out_of_fold
            else ""
        )
        + f"({int(readings.overlaps.sum())} overlap gold); each check averages {args.members} head(s)"
        + (", reading the article's vectors too" if settings.article_vectors else "")
        + "\n"
    )
    columns = ("check epochs", "weight", "SI F1", "FLC F1", "sentence F1", "SI + FLC + sentence", "dev passages")
    print("| " + " | ".join(columns) + " | seed findings kept | seed words flagged alone |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = [(0, 0.0)] + [(epochs, weight) for epochs in args.epochs for weight in args.weights]
    heads: dict[int, SpanHead] = {}
    for epochs, weight in rows:
        if epochs and epochs not in heads:
            if args.averaged_with_own and own is not None:
                fitted = replace(settings, out_of_fold_head=replace(settings.out_of_fold_head, epochs=epochs))
                heads[epochs] = fit_check_head(own, fitted, runtime.hidden_size, out_of_fold=readings)
            else:
                fitted = replace(settings, head=replace(settings.head, epochs=epochs))
                heads[epochs] = fit_check_head(readings, fitted, runtime.hidden_size)
        check = PassageCheck(heads[epochs], weight, settings.article_vectors) if epochs else None
        classifier.marked = replace(marked, check=check)
        thresholds, calibration, scores = tuner.tune(encoded, classifier)
        f1 = scores.f1()
        passages = sum(
            len({(s.start, s.end) for s in find_spans(tuner.texts[aid], outputs, classifier, thresholds, calibration)})
            for aid, outputs in encoded.items()
        )
        seed_row = seed_cells(seed, seed_encoded, classifier, thresholds, calibration)
        print(f"| {epochs or '-'} | {weight:g} | {f1_cells(f1)} | {passages} | {seed_row} |", flush=True)


if __name__ == "__main__":
    main()
