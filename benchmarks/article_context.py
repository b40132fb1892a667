"""Does a passage's article (its length, its number of candidates) say whether the passage is right?

    python benchmarks/article_context.py [--out-of-fold TAGGER=FOLDER ...]

On PTC dev, the shipped model's candidates in long articles overlap gold far less often than
those in short ones, at the same peak: a passage score that knew its article's length would
rank dev's candidates better. Before such a prior goes into the model it must hold on articles
it was not chosen on. This script measures it on both:
- train, out of fold: the candidates each tagger proposes in training articles it never saw
  (`--out-of-fold`, made as the passage check's are: `propscope folds`, then one `propscope
  train` per fold; default the two taggers of runs/fold-1 and runs/fold-2);
- dev: the shipped model's candidates.
Each candidate's outcome is whether it overlaps a gold span (as the span calibration counts).
For the token peak alone and with each article feature, a logistic regression's AUC and log
loss with every article's candidates predicted by a fit on the other articles (5 folds by
article), its coefficients fitted on all, and the share of candidates overlapping gold by
article length. Prints one JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope.detect.predict import candidate_passages  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.formats.ptc import merge_overlapping, read_ptc_folder  # noqa: E402
from propscope.metrics import overlaps_any  # noqa: E402

LENGTH_BUCKETS = ((0, 2000), (2000, 4000), (4000, 8000), (8000, None))
FOLDS = 5


def candidates(tagger: ModelRuntime, folder: Path, gold_folder: Path, extend: float, max_gap: int) -> dict[str, Any]:
    """(article, peak, article characters, overlaps gold) of every candidate the tagger proposes
    in the articles of `folder`, against the SI gold of `gold_folder`."""
    articles = read_ptc_folder(folder).articles
    gold = read_ptc_folder(gold_folder).si_spans()
    ids, peaks, lengths, outcomes = [], [], [], []
    for article_id in sorted(articles):
        text = articles[article_id].text
        spans = merge_overlapping(gold.get(article_id, []))
        for start, end, peak in candidate_passages(text, tagger.encode_many([text])[0], extend, max_gap):
            ids.append(article_id)
            peaks.append(peak)
            lengths.append(len(text))
            outcomes.append(overlaps_any((start, end), spans))
    return {"ids": np.asarray(ids), "peaks": np.asarray(peaks), "lengths": np.asarray(lengths, float), "y": outcomes}


def log_odds(values: NDArray[np.float64]) -> NDArray[np.float64]:
    clipped = np.clip(values, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(clipped / (1 - clipped)))


def measured(rows: dict[str, Any]) -> dict[str, Any]:
    ids, y = rows["ids"], np.asarray(rows["y"], int)
    count = Counter(ids.tolist())
    per_article = np.asarray([count[a] for a in ids], float)
    peak = log_odds(rows["peaks"])
    inputs = {
        "peak": peak[:, None],
        "peak + log article characters": np.c_[peak, np.log(rows["lengths"])],
        "peak + log candidates in the article": np.c_[peak, np.log(per_article)],
        "peak + log candidates per character": np.c_[peak, np.log(per_article / rows["lengths"])],
    }
    fits = {}
    for name, x in inputs.items():
        predicted = np.zeros(len(y))
        for train, held in GroupKFold(FOLDS).split(x, y, ids):
            predicted[held] = (
                LogisticRegression(C=10.0, max_iter=2000).fit(x[train], y[train]).predict_proba(x[held])[:, 1]
            )
        whole = LogisticRegression(C=10.0, max_iter=2000).fit(x, y)
        fits[name] = {
            "auc": round(float(roc_auc_score(y, predicted)), 4),
            "log_loss": round(float(log_loss(y, predicted)), 4),
            "coefficients": [round(float(c), 3) for c in whole.coef_[0]],
        }
    by_length = {}
    for low, high in LENGTH_BUCKETS:
        inside = (rows["lengths"] >= low) & (rows["lengths"] < (high or np.inf))
        by_length[f"{low}-{high or ''} characters"] = {
            "candidates": int(inside.sum()),
            "overlap_gold": round(float(y[inside].mean()), 3) if inside.any() else None,
            "mean_peak": round(float(rows["peaks"][inside].mean()), 3) if inside.any() else None,
        }
    return {"candidates": len(y), "articles": len(count), "fits": fits, "by_article_length": by_length}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc-dir", type=Path, default=REPO.parent / "shared" / "data" / "ptc-semeval2020")
    parser.add_argument(
        "--out-of-fold",
        nargs="+",
        default=["runs/fold-1=runs/folds/fold-1/held", "runs/fold-2=runs/folds/fold-2/held"],
        help="TAGGER=FOLDER pairs: a tagger and the training articles it never trained on",
    )
    args = parser.parse_args()
    shipped = ModelRuntime.load(None, spin=False)
    extend, max_gap = shipped.thresholds.run_threshold, shipped.thresholds.max_gap
    parts = [pair.split("=", 1) for pair in args.out_of_fold]
    folds = [
        candidates(ModelRuntime.load(Path(t), spin=False), Path(f), args.ptc_dir / "train", extend, max_gap)
        for t, f in parts
    ]
    train = {key: np.concatenate([fold[key] for fold in folds]) for key in ("ids", "peaks", "lengths", "y")}
    dev = candidates(shipped, args.ptc_dir / "dev", args.ptc_dir / "dev", extend, max_gap)
    print(
        json.dumps(
            {"train_out_of_fold": measured(train), "dev_shipped": measured(dev), "machine": describe()}, indent=2
        )
    )


if __name__ == "__main__":
    main()
