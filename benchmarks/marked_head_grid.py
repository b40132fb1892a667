"""How the marked span head's fitting settings move TC F1 on PTC dev.

    python benchmarks/marked_head_grid.py [--model DIR]

The model's encoder (default: the shipped one) reads every PTC train span and every dev gold
span marked in its paragraph once; the head is then fitted with each setting of a small grid
(epochs, learning rate, class balance; the rest as `train.marked_head.MarkedHeadSettings`) and
scored as `propscope evaluate` scores TC: techniques of the gold spans, micro-F1. Prints a
Markdown table for docs/BENCHMARKS.md. The settings that ship were chosen from this grid, so
the spread it prints is also how much the shipped TC figure may flatter the model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope import metrics, techniques  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.marked_spans import marked_head_inputs  # noqa: E402
from propscope.detect.predict import Encoded, SpanHead, label_given_spans  # noqa: E402
from propscope.detect.runtime import ModelRuntime, onnx_run  # noqa: E402
from propscope.detect.windows import special_ids  # noqa: E402
from propscope.formats.ptc import PtcCorpus, read_ptc_folder  # noqa: E402
from propscope.train.marked_head import MarkedHeadSettings, train_head  # noqa: E402

EPOCHS = (4, 8, 12, 16, 20)
LEARNING_RATES = (3e-4, 1e-3)
CLASS_BALANCES = (0.0, 0.5)


@dataclass(frozen=True)
class ReadSpans:
    """A span classifier over inputs read once: (article text, start, end) -> head input."""

    head: SpanHead
    inputs: dict[tuple[str, int, int], NDArray[np.float32]]

    @property
    def names(self) -> tuple[str, ...]:
        return self.head.names

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        return self.head.probabilities(np.stack([self.inputs[(text, start, end)] for start, end in ranges]))


def read(runtime: ModelRuntime, corpus: PtcCorpus) -> dict[tuple[str, int, int], NDArray[np.float32]]:
    """The head's input for every distinct gold range of the corpus."""
    run, specials = onnx_run(runtime.session), special_ids(runtime.tokenizer)
    inputs = {}
    for article_id, spans in corpus.tc_spans().items():
        text = corpus.articles[article_id].text
        ranges = sorted({(s.start, s.end) for s in spans})
        if ranges:
            rows = marked_head_inputs(runtime.tokenizer, run, specials, text, ranges)
            inputs.update({(text, start, end): row for (start, end), row in zip(ranges, rows, strict=True)})
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model, spin=False)
    names = techniques.scheme(runtime.scheme).names
    settings = Settings()
    train, dev = read_ptc_folder(settings.ptc_folder("train")), read_ptc_folder(settings.ptc_folder("dev"))
    train_inputs, dev_inputs = read(runtime, train), read(runtime, dev)
    index = {name: i for i, name in enumerate(names)}
    x, y = [], []
    for article_id, spans in train.tc_spans().items():
        text = train.articles[article_id].text
        x += [train_inputs[(text, s.start, s.end)] for s in spans]
        y += [index[s.technique] for s in spans]
    inputs, targets = np.stack(x), np.asarray(y)
    gold = {aid: spans for aid, spans in dev.tc_spans().items() if spans}
    encoded = dict(zip(gold, runtime.encode_many([dev.articles[aid].text for aid in gold]), strict=True))
    print(f"Model {runtime.model_id}: {len(targets)} train spans, {len(dev_inputs)} distinct dev ranges\n")
    print("| epochs | learning rate | class balance | TC micro-F1 | techniques with TC F1 > 0 |")
    print("| --- | --- | --- | --- | --- |")
    for balance in CLASS_BALANCES:
        for rate in LEARNING_RATES:
            for epochs in EPOCHS:
                fitted = MarkedHeadSettings(epochs=epochs, learning_rate=rate, class_balance=balance)
                classifier = ReadSpans(train_head(inputs, targets, names, fitted), dev_inputs)
                predicted = {
                    aid: label_given_spans(dev.articles[aid].text, encoded[aid], classifier, spans)
                    for aid, spans in gold.items()
                }
                scores = metrics.technique_classification(gold, predicted, names)
                found = sum(1 for value in scores.per_technique.values() if value and value > 0)
                print(f"| {epochs} | {rate:g} | {balance:g} | {scores.f1:.4f} | {found} |")


if __name__ == "__main__":
    main()
