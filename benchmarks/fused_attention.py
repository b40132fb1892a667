"""Does fusing attention before int8 quantisation make the shipped encoder faster?

    python benchmarks/fused_attention.py FP32_ENCODER_ONNX [--repeats 20]

ONNX Runtime fuses a float BERT's attention into one Attention operator when it loads it, but
not once its matrix products are int8 (`MatMulInteger`), as the shipped encoder's are: loaded,
the shipped encoder still runs attention as separate MatMul, Softmax and Transpose steps. The transformers optimizer
of ONNX Runtime can fuse attention, skip-layer-norms and GELU ahead of quantisation, which then
turns Attention into QAttention. This script quantises a trained run's fp32 `encoder.onnx`
(e.g. `runs/<run>/encoder.onnx` from `propscope train`) both ways, as `propscope ship` does
(`quantize_encoder`) and fused first, and times each on one thread for the two kinds of call the
detector makes: a batch of article windows (4 x 254 tokens) and one marked passage in its
paragraph (1 x 80 tokens), the two taking turns, median of `--repeats`. Also prints how far the
fused model's outputs move. Prints one JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers import optimizer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)
from onnx_timing import feed, median_ms, one_thread  # noqa: E402  (benchmarks/onnx_timing.py)

from propscope.train.quantize import quantize_encoder  # noqa: E402

#: all-MiniLM-L6-v2's attention heads and width
HEADS, WIDTH = 12, 384
CALLS = {"windows_4x254": (4, 254), "passage_1x80": (1, 80)}


def fused_int8(source: Path, target: Path, scratch: Path) -> None:
    """Attention, layer norms and GELU fused, then quantised with the shipped settings."""
    fused = scratch / "fused.onnx"
    optimizer.optimize_model(str(source), model_type="bert", num_heads=HEADS, hidden_size=WIDTH).save_model_to_file(
        str(fused)
    )
    quantize_dynamic(
        str(fused),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops have no inferred types
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoder", type=Path, help="a trained run's fp32 encoder.onnx")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        plain, fused = Path(scratch) / "plain.onnx", Path(scratch) / "fused-int8.onnx"
        quantize_encoder(args.encoder, plain)
        fused_int8(args.encoder, fused, Path(scratch))
        sessions = {"int8 (shipped)": one_thread(plain), "fused, then int8": one_thread(fused)}
    medians = median_ms(sessions, CALLS, args.repeats)
    windows = feed(np.random.default_rng(13), CALLS["windows_4x254"])
    shipped, other = (session.run(None, windows) for session in sessions.values())
    print(
        json.dumps(
            {
                "encoder": str(args.encoder),
                "median_ms": medians,
                "fused_max_change": {
                    "probabilities": round(float(np.abs(shipped[0] - other[0]).max()), 4),
                    "hidden": round(float(np.abs(shipped[1] - other[1]).max()), 4),
                },
                "machine": describe(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
