"""Are retrained taggers the ones the default model was made from?

    python benchmarks/retrained_taggers.py [--tagger RUN] [--proposes RUN=FOLDER ...] [--finds RUN=FOLDER ...]

`--tagger`: a `propscope train` run of the card's recipe; prints how many of its float
tensors that int8 shipping leaves unquantised (the LayerNorm weights and biases) equal the
shipped `encoder.onnx`'s, bit for bit, and the largest difference among them. `--proposes`:
a half-train tagger and the PTC folder of the articles it never saw; prints how many
candidate passages it proposes there, read as the passage check reads them
(`PassageCheckSettings`' extend and gap), after the counts the shipped check records for its
taggers (docs/BENCHMARKS.md, "The default model as its own teacher"). `--finds`: the same
for the passages the naming head was fitted on, those it finds at the extend and gap the
shipped naming head records that overlap a gold span, after the counts that head records for
its four taggers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.article import best_match  # noqa: E402
from propscope.detect.model import MODEL_FILE, default_model_dir  # noqa: E402
from propscope.detect.predict import candidate_passages, ranges_of  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.train.marked_head import PassageCheckSettings  # noqa: E402


def equal_layer_norms(run: Path, shipped: Path) -> dict[str, int | float]:
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(shipped / "encoder.onnx")).graph
    exported = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    norms = {name: tensor.numpy() for name, tensor in state.items() if "LayerNorm" in name}
    equal = sum(
        f"tagger.{name}" in exported and np.array_equal(exported[f"tagger.{name}"], t) for name, t in norms.items()
    )
    largest = max(
        (
            float(np.abs(exported[f"tagger.{name}"] - t).max())
            for name, t in norms.items()
            if f"tagger.{name}" in exported
        ),
        default=float("nan"),
    )
    return {"layer_norm_tensors": len(norms), "equal_bit_for_bit": int(equal), "largest_difference": largest}


def passages(tagger: Path, folder: Path, extend: float, max_gap: int, only_overlapping_gold: bool) -> dict[str, object]:
    """How many candidate passages `tagger` proposes in `folder`'s articles at `extend` and
    `max_gap`; with `only_overlapping_gold`, only those a gold span overlaps (`best_match`),
    as the naming head counts them."""
    runtime = ModelRuntime.load(tagger, threads=2, spin=False)
    corpus = read_ptc_folder(folder)
    gold = corpus.tc_spans()
    count = 0
    for article_id, article in corpus.articles.items():
        encoded = runtime.encode_many([article.text])[0]
        found = ranges_of(candidate_passages(article.text, encoded, extend, max_gap))
        count += sum(1 for r in found if best_match(*r, gold[article_id])) if only_overlapping_gold else len(found)
    return {"tagger": str(tagger), "articles": len(corpus.articles), "passages": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tagger", type=Path, help="a run folder of the card's recipe")
    parser.add_argument("--proposes", nargs="*", default=[], metavar="RUN=FOLDER")
    parser.add_argument("--finds", nargs="*", default=[], metavar="RUN=FOLDER")
    parser.add_argument("--model", type=Path, default=default_model_dir(), help="the shipped folder")
    args = parser.parse_args()
    if args.tagger is not None:
        print(json.dumps({"tagger": str(args.tagger)} | equal_layer_norms(args.tagger, args.model)), flush=True)
    description = json.loads((args.model / MODEL_FILE).read_text(encoding="utf-8"))
    if args.proposes:
        recorded = {f["tagger"]: f["passages"] for f in description["passage_check"].get("out_of_fold", [])}
        print(json.dumps({"recorded_by_the_shipped_check": recorded}), flush=True)
        check = PassageCheckSettings()
        for pair in args.proposes:
            tagger, _, folder = pair.partition("=")
            print(json.dumps(passages(Path(tagger), Path(folder), check.extend, check.max_gap, False)), flush=True)
    if args.finds:
        naming = description["naming_head"]
        recorded = {f["tagger"]: f["passages"] for f in naming["found"]}
        print(json.dumps({"recorded_by_the_naming_head": recorded}), flush=True)
        for pair in args.finds:
            tagger, _, folder = pair.partition("=")
            found = passages(Path(tagger), Path(folder), naming["extend"], naming["max_gap"], True)
            print(json.dumps(found), flush=True)


if __name__ == "__main__":
    main()
