"""How much does moving found passages' edges (`detect.edges`) raise SI, fitted how?

    python benchmarks/edge_moves.py [--model FOLDER] [--out-of-fold TAGGER=FOLDER ...]
        [--precision-weights 1 2 3] [--ridges 3000 10000 30000] [--margins 0 0.01 0.02 0.04 0.08]

`benchmarks/si_headroom.py` shows that edges cost SI as much as false alarms do. The edge model
reads nine vectors of each passage's marked reading and moves either edge by a word piece or
two when a ridge regression estimates that the move gains. What a move gains is valued as SI
counts it, precision weighted `--precision-weights` times against recall (`train.edges`).

Fitted on train only, exactly as `propscope edges` fits (`train.edges.edge_examples` and
`fit_edge_model`), on the candidates that taggers trained on half of train propose in the half
they never saw (`--out-of-fold`; default the four taggers of `propscope refit
--name-out-of-fold`). Scored on dev: the model's reported passages without its edge model,
then moved by each variant, overlaps kept apart as decoding keeps them; SI as the official
scorer scores it. The "cross-fitted" margin is the one `propscope edges` would choose (most
gain on training articles the regressions were not fitted on), with that gain per training
example, by which `propscope edges` compares ridges. Any tagger may propose: the shipped model
itself on all of train (`--out-of-fold src/propscope/models/propscope-minilm=<ptc>/train`) fits
on its own training articles. Prints one JSON object;
docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope import metrics  # noqa: E402
from propscope.detect.edges import without_overlaps  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.formats.annotated import span_corpus  # noqa: E402
from propscope.train.edges import EdgeExamples, choose_margin, edge_examples, fit_edge_model  # noqa: E402

FOLDS = [
    "runs/fold-1=runs/folds/fold-1/held",
    "runs/fold-2=runs/folds/fold-2/held",
    "runs/fold-s1-1=runs/folds-s1/fold-1/held",
    "runs/fold-s1-2=runs/folds-s1/fold-2/held",
]


def rounded(scores: metrics.PRF) -> dict[str, float]:
    return {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4), "f1": round(scores.f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a marked model folder (default: the shipped one)")
    parser.add_argument("--ptc-dir", type=Path, default=REPO.parent / "shared" / "data" / "ptc-semeval2020")
    parser.add_argument("--out-of-fold", nargs="+", default=FOLDS)
    parser.add_argument("--precision-weights", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    parser.add_argument("--ridges", type=float, nargs="+", default=[3000.0, 10000.0, 30000.0])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.01, 0.02, 0.04, 0.08])
    args = parser.parse_args()
    runtime = replace(ModelRuntime.load(args.model, threads=2, spin=False), edges=None)
    pairs = [pair.split("=", 1) for pair in args.out_of_fold]
    folds = [(ModelRuntime.load(Path(t), spin=False), span_corpus(Path(f), runtime.scheme, "train")) for t, f in pairs]
    dev = span_corpus(args.ptc_dir / "dev", runtime.scheme, "dev")
    gold = dev.si_spans()
    passages = {}  # article: (text, token offsets, reported ranges, their scores, their edge vectors)
    for article_id, article in sorted(dev.articles.items()):
        encoded = runtime.encode_many([article.text])[0]
        scored = {(s.start, s.end): s.score for s in runtime.spans(article.text, encoded)}
        ranges = sorted(scored)
        vectors = runtime.reader.read_passages(article.text, ranges, edges=True).edges
        passages[article_id] = (article.text, encoded.tokens.offsets, ranges, [scored[r] for r in ranges], vectors)
    unmoved = {a: ranges for a, (_, _, ranges, _, _) in passages.items()}
    rows = []
    for weight in args.precision_weights:
        examples = EdgeExamples.joined([edge_examples(runtime, tagger, corpus, weight) for tagger, corpus in folds])
        for ridge in args.ridges:
            choice = choose_margin(examples, ridge)
            fitted = fit_edge_model(examples, ridge)
            for margin in args.margins:
                model, moved, count = replace(fitted, margin=margin), {}, 0
                for article_id, (text, offsets, ranges, scores, vectors) in passages.items():
                    reported = without_overlaps(text, ranges, model.moved(text, offsets, ranges, vectors), scores)
                    moved[article_id] = [r for r in reported if r is not None]
                    count += sum(a != b for a, b in zip(ranges, reported, strict=True))
                si = metrics.span_identification(gold, moved)
                rows.append(
                    {
                        "precision_weight": weight,
                        "ridge": ridge,
                        "margin": margin,
                        "cross_fitted_choice": margin == choice.margin,
                        # the margin this ridge's regressions would get, and what its moves gain per
                        # training example with regressions fitted without the example's article
                        "ridge_cross_fitted": {"margin": choice.margin, "gain": round(choice.gain, 5)},
                        "dev_passages_moved": count,
                        "si": rounded(si),
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(
        json.dumps(
            {
                "train_examples": len(examples.values),
                "dev_passages": sum(len(r) for r in unmoved.values()),
                "dev_si_unmoved": rounded(metrics.span_identification(gold, unmoved)),
                "rows": rows,
                "machine": describe(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
