"""Writing a trained model as a propscope model folder that inference can load without torch.

The folder holds `encoder.onnx` (token probabilities and hidden states, eager attention so
ONNX Runtime can fuse it), `tokenizer.json`, `span_head.npz`, `propscope-model.json` (ids,
window sizes, thresholds, dev scores) and `MODEL_CARD.md`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from propscope.detect.predict import SpanHead
from propscope.detect.runtime import save_head, write_description
from propscope.train.base import sha256
from propscope.train.model import EncoderForExport, PropagandaTagger


def export_onnx(model: PropagandaTagger, path: Path) -> None:
    """Export the encoder with dynamic batch and sequence axes."""
    wrapper = EncoderForExport(model).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        wrapper,
        (ids, mask),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["probabilities", "hidden"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "probabilities": {0: "batch", 1: "sequence"},
            "hidden": {0: "batch", 1: "sequence"},
        },
        opset_version=17,
        dynamo=False,
    )


def export_model(model: PropagandaTagger, head: SpanHead, base: str, out: Path, summary: dict[str, Any]) -> None:
    """Write every file of the model folder; the model card is written last."""
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, out / "encoder.onnx")
    shutil.copyfile(Path(base) / "tokenizer.json", out / "tokenizer.json")
    save_head(out / "span_head.npz", head)
    config = summary["config"]
    description = {
        "format": 1,
        "model_id": f"{out.name}",
        "scheme": config["scheme"],
        "base": config["base"],
        "window_tokens": config["window_tokens"],
        "stride": config["inference_stride"],
        "span_input": config.get("span_input", "pooled"),
        "thresholds": summary["thresholds"],
        "calibration": summary["calibration"],
        "dev": {name: summary["dev"][name] for name in ("si", "tc", "flc", "sentence")},
        "history": summary["history"],
        "training": config,
        "data": summary["data"],
        **({"teachers": summary["teachers"]} if "teachers" in summary else {}),
        "encoder_sha256": sha256(out / "encoder.onnx"),
    }
    write_description(out, description)
