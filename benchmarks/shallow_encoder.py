"""Would a shallower encoder bring the detector's speed target within reach of CPUs without VNNI?

    python benchmarks/shallow_encoder.py base --layers 0,2,4 --out runs/minilm-l3-base
    propscope train --out runs/minilm-l3 --base runs/minilm-l3-base --epochs 2 --learning-rate 8e-05 \\
        --batch-size 16 --seed 13 --class-balance 0.5
    python benchmarks/shallow_encoder.py speed runs/minilm-l3/encoder.onnx [--repeats 20]

On an AVX2-only CPU the shipped model reads about half as many articles per second as the
target asks, and no change to how it reads closes that (`benchmarks/encoder_cost.py`): the
arithmetic per token has to shrink. `base` writes all-MiniLM-L6-v2 with only the given
layers, renumbered (every other layer, as DistilBERT was made from BERT), as a Hugging Face
folder that `propscope train --base` takes. `speed` quantises a trained run's fp32 encoder as
`propscope ship` does and times it against the shipped encoder on one thread, a window batch
and a passage taking turns (`onnx_timing.median_ms`). The training run's own dev lines say
what the shallower encoder costs in quality. Prints one JSON object; docs/BENCHMARKS.md
records it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from encoder_cost import CALLS  # noqa: E402  (benchmarks/encoder_cost.py)
from machine import describe  # noqa: E402  (benchmarks/machine.py)
from onnx_timing import median_ms, one_thread  # noqa: E402  (benchmarks/onnx_timing.py)

from propscope.detect.runtime import default_model_dir  # noqa: E402
from propscope.train.base import resolve_base  # noqa: E402
from propscope.train.quantize import quantize_encoder  # noqa: E402


def write_base(source: Path, out: Path, layers: list[int]) -> dict[str, int]:
    """`source` (a BERT-style folder) with only `layers`, renumbered from 0, written to `out`."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, out)
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config["num_hidden_layers"] = len(layers)
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    weights = load_file(str(source / "model.safetensors"))
    kept = {}
    for name, tensor in weights.items():
        if ".layer." in name:
            prefix, rest = name.split(".layer.", 1)
            index, suffix = rest.split(".", 1)
            if int(index) not in layers:
                continue
            name = f"{prefix}.layer.{layers.index(int(index))}.{suffix}"
        kept[name] = tensor.contiguous()
    save_file(kept, str(out / "model.safetensors"), metadata={"format": "pt"})
    return {"tensors": len(weights), "kept": len(kept)}


def speed(encoder: Path, repeats: int) -> dict[str, object]:
    """One-thread times of the shipped int8 encoder and of `encoder` quantised as shipping does."""
    with tempfile.TemporaryDirectory() as scratch:
        quantised = Path(scratch) / "encoder.onnx"
        quantize_encoder(encoder, quantised)
        size = quantised.stat().st_size
        sessions = {
            "shipped": one_thread(default_model_dir() / "encoder.onnx"),
            "shallow, int8": one_thread(quantised),
        }
    medians = median_ms(sessions, CALLS, repeats)
    shipped, shallow = medians.values()
    return medians | {
        "shipped_over_shallow": {call: round(shipped[call] / shallow[call], 2) for call in shipped},
        "shallow_int8_mb": round(size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    base = steps.add_parser("base", help="write the base encoder with only some of its layers")
    base.add_argument("--source", default="minilm", help="a BERT-style model folder, or 'minilm'")
    base.add_argument("--layers", required=True, help="the layers to keep, e.g. 0,2,4")
    base.add_argument("--out", type=Path, required=True)
    timed = steps.add_parser("speed", help="time a trained run's encoder against the shipped one")
    timed.add_argument("encoder", type=Path, help="a trained run's fp32 encoder.onnx")
    timed.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.step == "base":
        layers = [int(layer) for layer in args.layers.split(",")]
        result: dict[str, object] = dict(write_base(Path(resolve_base(args.source)), args.out, layers))
    else:
        result = speed(args.encoder, args.repeats)
    print(json.dumps(result | {"machine": describe()}, indent=2))


if __name__ == "__main__":
    main()
