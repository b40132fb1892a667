"""How a naming head for found passages moves FLC, SI and sentence F1 on PTC dev.

    python benchmarks/naming_head_grid.py [--model DIR] --found TAGGER=FOLDER ...
        [--epochs E ...] [--hidden H ...] [--weights W ...] [--members N]

The model (default: the shipped one) reads its training spans and the passages each TAGGER (a
model folder) finds in FOLDER, training articles it never trained on ('propscope folds'), as
`propscope refit --name-out-of-fold` reads them; a naming head is fitted for each number of
epochs and hidden width (the rest as `train.marked_head.NamingSettings`), and found passages
are named by the mean of its probabilities and the span head's, its weight for each of
`--weights` (1: the naming head alone). Every row, and a first row where the span head names
the passages as before, is then tuned on dev exactly as refit tunes a model
(`DevTuner.tune`), with the model's encoder, span head and passage check; TC on gold spans
does not move, since given spans are named by the span head alone. As in
`passage_check_grid.py`, the edge model moves no passage, so rows compare naming heads with each
other, not with the shipped model's figures. Each row also says
which of the seed article's true findings `tests/test_shipped_model.py` requires it still
reports, and which of the lone words that test forbids it flags. Prints a Markdown table for
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from passage_check_grid import (  # noqa: E402
    RememberedReadings,
    dev_and_seed,
    f1_cells,
    marked_classifier,
    out_of_fold_argument,
    seed_article_cells,
)

from propscope.config import Settings  # noqa: E402
from propscope.detect.marked_spans import NamingHead  # noqa: E402
from propscope.detect.predict import SpanHead, find_spans  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.train.marked_head import NamingSettings, naming_examples, train_head  # noqa: E402

EPOCHS = (8, 16)
HIDDEN = (128,)
WEIGHTS = (0.5, 0.75, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--found", nargs="+", required=True, type=out_of_fold_argument, metavar="TAGGER=FOLDER")
    parser.add_argument("--epochs", type=int, nargs="+", default=EPOCHS)
    parser.add_argument("--hidden", type=int, nargs="+", default=HIDDEN, help="units of each member's hidden layer")
    parser.add_argument("--weights", type=float, nargs="+", default=WEIGHTS, help="the naming head's weights")
    parser.add_argument("--members", type=int, default=NamingSettings().head.members, help="heads averaged")
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model, spin=False)
    marked = marked_classifier(runtime)
    folds = [(ModelRuntime.load(tagger, spin=False), read_ptc_folder(folder)) for tagger, folder in args.found]
    examples = naming_examples(runtime, read_ptc_folder(Settings().ptc_folder("train")), folds)
    tuner, encoded, seed, seed_encoded = dev_and_seed(runtime)
    classifier = RememberedReadings(marked)
    print(
        f"Model {runtime.model_id}: {examples.spans} training spans and {sum(examples.found)} found passages "
        f"({', '.join(f'{t}={f}' for t, f in args.found)}); each naming head averages {args.members}\n"
    )
    columns = ("epochs", "hidden units", "weight", "SI F1", "FLC F1", "sentence F1", "SI + FLC + sentence")
    print("| " + " | ".join(columns) + " | second technique at | seed findings kept | seed words flagged alone |")
    print("| --- " * (len(columns) + 3) + "|")
    heads: dict[tuple[int, int], SpanHead] = {}
    grid = [(0, 0, 0.0)] + [(e, h, w) for e in args.epochs for h in args.hidden for w in args.weights]
    for epochs, hidden, weight in grid:
        naming = None
        if epochs:
            if (epochs, hidden) not in heads:
                fitted = replace(NamingSettings().head, epochs=epochs, hidden_units=hidden, members=args.members)
                heads[epochs, hidden] = train_head(
                    examples.inputs, examples.targets, runtime.head.names, fitted, runtime.hidden_size
                )
            naming = NamingHead(heads[epochs, hidden], weight)
        classifier.marked = replace(marked, naming=naming)
        thresholds, calibration, scores = tuner.tune(encoded, classifier)
        seed_spans = find_spans(seed, seed_encoded, classifier, thresholds, calibration)
        cells = [f"{epochs or '-'}", f"{hidden or '-'}", f"{weight:g}", f1_cells(scores.f1())]
        cells += [f"{thresholds.second_technique:g}", seed_article_cells(seed_spans, seed)]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
