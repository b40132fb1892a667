"""What the marked span head reads, how many heads it averages, and how its fitting settings
move TC F1 on PTC dev.

    python benchmarks/marked_head_grid.py [--model DIR] [--grid]

The model's encoder (default: the shipped one) reads every PTC train span and every dev gold
span marked in its paragraph once, and encodes every article once. Heads are then fitted (the
rest as `train.marked_head.MarkedHeadSettings`) on two inputs: the marked reading alone, and
the marked reading with the span's vectors from the article's own encoding
(`fit_marked_head(article_vectors=True)`). For each input it prints the dev TC micro-F1 (as
`propscope evaluate` scores it) of one head per seed of the shipped ensemble, of the average
of each half of those seeds (how far an ensemble half the size still moves with its seeds),
and of the average of all as it ships (also written and read back as it is stored, in float16);
and 5-fold cross-validated TC over the train articles for one head,
which chooses without looking at dev (but flatters the article vectors, which come from an
encoder trained on those articles). With --grid, the settings grid (epochs, learning rate,
class balance) follows for single heads on the input that ships. Prints Markdown tables for
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope import metrics, techniques  # noqa: E402
from propscope.article import Span  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.marked_spans import head_inputs, with_article_vectors  # noqa: E402
from propscope.detect.predict import Encoded, SpanHead, label_given_spans  # noqa: E402
from propscope.detect.runtime import ModelRuntime, load_head, save_head  # noqa: E402
from propscope.formats.ptc import PtcCorpus, read_ptc_folder  # noqa: E402
from propscope.train.marked_head import SPAN_HEAD_DTYPE, MarkedHeadSettings, train_head  # noqa: E402

EPOCHS = (4, 8, 12, 16, 20)
LEARNING_RATES = (3e-4, 1e-3)
CLASS_BALANCES = (0.0, 0.5)
FOLDS = 5

#: (article text, start, end) -> head input
Inputs = dict[tuple[str, int, int], NDArray[np.float32]]


@dataclass(frozen=True)
class ReadSpans:
    """A span classifier over inputs read once."""

    head: SpanHead
    inputs: Inputs

    @property
    def names(self) -> tuple[str, ...]:
        return self.head.names

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        return self.head.probabilities(np.stack([self.inputs[(text, start, end)] for start, end in ranges]))


@dataclass(frozen=True)
class ReadCorpus:
    """A corpus's gold spans with both head inputs of every distinct gold range, and its articles' encodings."""

    corpus: PtcCorpus
    gold: dict[str, list[Span]]
    encoded: dict[str, Encoded]
    marked: Inputs
    with_article: Inputs

    def inputs(self, article_vectors: bool) -> Inputs:
        return self.with_article if article_vectors else self.marked


def read(runtime: ModelRuntime, corpus: PtcCorpus) -> ReadCorpus:
    gold = {aid: spans for aid, spans in corpus.tc_spans().items() if spans}
    encoded = dict(zip(gold, runtime.encode_many([corpus.articles[aid].text for aid in gold]), strict=True))
    marked: Inputs = {}
    with_article: Inputs = {}
    for article_id, spans in gold.items():
        text = corpus.articles[article_id].text
        ranges = sorted({(s.start, s.end) for s in spans})
        rows = head_inputs(runtime.reader.readings(text, ranges), text, ranges)
        for form, form_rows in (
            (marked, rows),
            (with_article, with_article_vectors(rows, encoded[article_id], ranges)),
        ):
            form.update({(text, start, end): row for (start, end), row in zip(ranges, form_rows, strict=True)})
    return ReadCorpus(corpus, gold, encoded, marked, with_article)


def fit(
    data: ReadCorpus, article_ids: Sequence[str], article_vectors: bool, settings: MarkedHeadSettings, hidden: int
) -> SpanHead:
    """A head fitted on the gold spans of `article_ids` (one row per span, as shipping fits)."""
    names = techniques.scheme("semeval2020").names
    index = {name: i for i, name in enumerate(names)}
    inputs = data.inputs(article_vectors)
    text = {aid: data.corpus.articles[aid].text for aid in article_ids}
    rows = [(inputs[(text[aid], s.start, s.end)], index[s.technique]) for aid in article_ids for s in data.gold[aid]]
    return train_head(np.stack([x for x, _ in rows]), np.asarray([y for _, y in rows]), names, settings, hidden)


def predictions(
    data: ReadCorpus, head: SpanHead, article_ids: Sequence[str], article_vectors: bool
) -> dict[str, list[Span]]:
    classifier = ReadSpans(head, data.inputs(article_vectors))
    return {
        aid: label_given_spans(data.corpus.articles[aid].text, data.encoded[aid], classifier, data.gold[aid])
        for aid in article_ids
    }


def cross_validated(data: ReadCorpus, article_vectors: bool, settings: MarkedHeadSettings, hidden: int) -> float:
    """TC micro-F1 over train, each fold of articles labelled by a head fitted on the others."""
    article_ids = sorted(data.gold)
    predicted: dict[str, list[Span]] = {}
    for fold in range(FOLDS):
        held_out = article_ids[fold::FOLDS]
        fitted = fit(data, [a for a in article_ids if a not in set(held_out)], article_vectors, settings, hidden)
        predicted |= predictions(data, fitted, held_out, article_vectors)
    return metrics.technique_classification(data.gold, predicted).f1


def as_stored(head: SpanHead) -> SpanHead:
    """`head` written and read back as `fit_marked_head` stores a shipped one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "span_head.npz"
        save_head(path, head, SPAN_HEAD_DTYPE)
        return load_head(path, head.names)


def dev_scores(dev: ReadCorpus, head: SpanHead, article_vectors: bool) -> metrics.TechniqueScores:
    return metrics.technique_classification(dev.gold, predictions(dev, head, sorted(dev.gold), article_vectors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--grid", action="store_true", help="also the settings grid for the input that ships")
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model, spin=False)
    settings = Settings()
    train = read(runtime, read_ptc_folder(settings.ptc_folder("train")))
    dev = read(runtime, read_ptc_folder(settings.ptc_folder("dev")))
    hidden, shipped = runtime.hidden_size, MarkedHeadSettings()
    single = replace(shipped, members=1)
    seeds = [shipped.seed + member for member in range(shipped.members)]
    print(f"Model {runtime.model_id}: {len(train.marked)} distinct train ranges, {len(dev.marked)} dev ranges\n")
    print(
        f"| head input | train TC, one head, {FOLDS}-fold by article | dev TC, one head per seed "
        f"({', '.join(map(str, seeds))}) | their mean | dev TC, each half averaged | "
        f"dev TC, the {shipped.members} averaged | techniques with dev F1 > 0, averaged |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for article_vectors, label in ((False, "marked reading"), (True, "marked reading + article vectors")):
        members = [
            fit(train, sorted(train.gold), article_vectors, replace(single, seed=seed), hidden) for seed in seeds
        ]
        alone = [dev_scores(dev, head, article_vectors).f1 for head in members]
        half = len(members) // 2
        halves = [
            dev_scores(dev, SpanHead.averaging(part), article_vectors).f1 for part in (members[:half], members[half:])
        ]
        ensemble = SpanHead.averaging(members)
        averaged = dev_scores(dev, ensemble, article_vectors)
        found = sum(1 for value in averaged.per_technique.values() if value > 0)
        cv = cross_validated(train, article_vectors, single, hidden)
        print(
            f"| {label} | {cv:.4f} | {' / '.join(f'{f1:.4f}' for f1 in alone)} | {np.mean(alone):.4f} "
            f"| {' / '.join(f'{f1:.4f}' for f1 in halves)} | {averaged.f1:.4f} | {found} |",
            flush=True,
        )
        stored = dev_scores(dev, as_stored(ensemble), article_vectors)
        print(f"|   stored in float16, as `fit_marked_head` saves it | | | | | {stored.f1:.4f} | |", flush=True)
    if not args.grid:
        return
    print("\n| epochs | learning rate | class balance | TC micro-F1 | techniques with TC F1 > 0 |")
    print("| --- | --- | --- | --- | --- |")
    for balance in CLASS_BALANCES:
        for rate in LEARNING_RATES:
            for epochs in EPOCHS:
                fitted = MarkedHeadSettings(epochs=epochs, learning_rate=rate, class_balance=balance, members=1)
                scores = dev_scores(dev, fit(train, sorted(train.gold), True, fitted, hidden), True)
                found = sum(1 for value in scores.per_technique.values() if value > 0)
                print(f"| {epochs} | {rate:g} | {balance:g} | {scores.f1:.4f} | {found} |", flush=True)


if __name__ == "__main__":
    main()
