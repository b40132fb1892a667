"""Making the model that ships: int8 quantisation, thresholds tuned on what ships, a model card.

Quantisation shrinks the encoder about four times and speeds it up, but may cost accuracy, so
both variants are scored on dev with thresholds tuned for each; int8 ships only where its F1
stays within `tolerance` of fp32 on SI and TC. No torch here: this runs on the ONNX files.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from onnxruntime.quantization import QuantType, quantize_dynamic

from propscope.detect.model import MODEL_FILE, Detector
from propscope.detect.tuning import DevTuner, f1_summary
from propscope.evaluation import evaluate, model_predictions
from propscope.formats.ptc import read_ptc_folder
from propscope.train.base import resolve_base, verify_base_weights
from propscope.train.card import write_model_card

log = logging.getLogger("propscope.train")


QUICK_CHECK_KEY = "dev_first_10_articles_f1"


def quick_check_scores(folder: Path, dev_dir: Path) -> dict[str, float]:
    """F1 of the finished model folder on the first 10 dev articles, as `propscope evaluate
    --split dev --limit 10` computes them: CI re-computes these in seconds to check that the
    shipped files and the inference code still give the recorded figures."""
    gold, predictions, tc = model_predictions(Detector.load(folder), read_ptc_folder(dev_dir), limit=10)
    return f1_summary(evaluate(gold, predictions, tc_predictions=tc))


def quantize_encoder(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation with per-channel weight scales."""
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def tune_variant(folder: Path, dev_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tuned thresholds and dev scores for the model folder as it is."""
    corpus = read_ptc_folder(dev_dir)
    detector = Detector.load(folder)
    article_ids = list(corpus.articles)
    encoded = dict(zip(article_ids, detector.encode_many([corpus.articles[a].text for a in article_ids]), strict=True))
    thresholds, scores = DevTuner(corpus).tune(encoded, detector.head)
    return {
        "span": thresholds.span,
        "second_technique": thresholds.second_technique,
        "max_gap": thresholds.max_gap,
    }, scores


def ship(trained: Path, out: Path, dev_dir: Path, name: str, tolerance: float = 0.01) -> dict[str, Any]:
    """Write the shipped model folder `out` from a trained (fp32) model folder."""
    out.mkdir(parents=True, exist_ok=True)
    description: dict[str, Any] = json.loads((trained / MODEL_FILE).read_text())
    training = description["training"]
    if not training.get("base_sha256"):
        training["base_sha256"] = verify_base_weights(resolve_base(training["base"]))
    variants: dict[str, dict[str, Any]] = {}
    for variant in ("fp32", "int8"):
        folder = out.parent / f".{name}-{variant}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for file in ("tokenizer.json", "span_head.npz", MODEL_FILE):
            shutil.copyfile(trained / file, folder / file)
        if variant == "int8":
            quantize_encoder(trained / "encoder.onnx", folder / "encoder.onnx")
        else:
            shutil.copyfile(trained / "encoder.onnx", folder / "encoder.onnx")
        thresholds, scores = tune_variant(folder, dev_dir)
        variants[variant] = {"thresholds": thresholds, "dev": scores, "folder": folder}
        log.info("%s: thresholds %s, dev %s", variant, thresholds, json.dumps(f1_summary(scores)))
    fp32, int8 = variants["fp32"]["dev"], variants["int8"]["dev"]
    int8_holds = all(int8[task]["f1"] >= fp32[task]["f1"] - tolerance for task in ("si", "tc"))
    chosen = "int8" if int8_holds else "fp32"
    for file in ("encoder.onnx", "tokenizer.json", "span_head.npz"):
        shutil.copyfile(variants[chosen]["folder"] / file, out / file)
    description.update(
        model_id=name,
        precision=chosen,
        thresholds=variants[chosen]["thresholds"],
        dev={task: variants[chosen]["dev"][task] for task in ("si", "tc", "flc", "sentence")},
        variants={v: {"thresholds": d["thresholds"], "dev_f1": f1_summary(d["dev"])} for v, d in variants.items()},
        command=(
            f"propscope train --out {trained} --base {training['base']} --epochs {training['epochs']} "
            f"--learning-rate {training['learning_rate']} --batch-size {training['batch_size']} "
            f"--seed {training['seed']} && propscope ship {trained} --out {out}"
        ),
    )
    (out / MODEL_FILE).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    description[QUICK_CHECK_KEY] = quick_check_scores(out, dev_dir)
    (out / MODEL_FILE).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    write_model_card(out, description)
    for data in variants.values():
        shutil.rmtree(data["folder"])
    return description
