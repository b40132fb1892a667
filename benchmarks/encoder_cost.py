"""Where the detector's time goes on this CPU, and what a float encoder would change.

    python benchmarks/encoder_cost.py [--model DIR] [--repeats 20]

The detector's speed is set by two kinds of encoder call: an article's windows (up to 16 of
254 tokens per call) and each candidate passage marked in its paragraph (one short input per
call, `detect.marked_spans`). This script measures, on the machine it runs on:
- `calls`: analysing every PTC dev article as `Detector.analyze_many` does, how many calls of
  each kind were made, how many tokens they held (with the windows' overlap) and how many
  seconds they ran, summed over the threads that ran them side by side;
- `one_passage_ms`: one passage call on one thread at several lengths, and the straight line
  through them: the fixed cost of a call (its weights streamed from memory whatever its
  length) and the cost of each token;
- `int8_vs_float_ms`: the shipped int8 encoder against the same weights as float (each int8
  weight times its channel's scale, so the two differ only in arithmetic), on one thread,
  a window batch and a passage taking turns, median of `--repeats`: whether a CPU without
  VNNI would read faster in float;
- `window_tokens`: the tokens the article windows hold at the model's stride, and what they
  would hold with no overlap at all: the most that cutting the overlap could save.
Prints one JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from detector_speed import dev_texts  # noqa: E402  (benchmarks/detector_speed.py)
from machine import describe  # noqa: E402  (benchmarks/machine.py)
from onnx_timing import median_ms, one_thread  # noqa: E402  (benchmarks/onnx_timing.py)

PASSAGE_LENGTHS = (8, 16, 40, 96, 160)
CALLS = {"windows_4x254": (4, 254), "passage_1x40": (1, 40)}


def float_encoder(source: Path, target: Path) -> None:
    """The int8 encoder `source` with each quantised matrix product (activations quantised,
    integer product, rescaled) replaced by a float MatMul on the dequantised weights."""
    model = onnx.load(str(source))
    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    producer = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    replaced: dict[int, onnx.NodeProto] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        quantised_input, quantised_weight, _, weight_zero_point = node.input
        cast = consumers[node.output[0]][0]
        rescale = consumers[cast.output[0]][0]
        scales = producer[next(name for name in rescale.input if name != cast.output[0])]
        weight_scale = next(name for name in scales.input if name in weights)
        values, zero_point, scale = (
            numpy_helper.to_array(weights[name]).astype(np.float32)
            for name in (quantised_weight, weight_zero_point, weight_scale)
        )
        name = f"{quantised_weight}_float"
        graph.initializer.append(numpy_helper.from_array((values - zero_point) * scale, name))
        source_input = producer[quantised_input].input[0]  # what DynamicQuantizeLinear quantised
        replaced[id(rescale)] = onnx.helper.make_node("MatMul", [source_input, name], list(rescale.output))
        dropped.update({id(node), id(cast), id(scales)})
    nodes = [replaced.get(id(node), node) for node in graph.node if id(node) not in dropped]
    used = {name for node in nodes for name in node.input}
    nodes = [n for n in nodes if n.op_type != "DynamicQuantizeLinear" or any(o in used for o in n.output)]
    graph.ClearField("node")
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    graph.ClearField("initializer")
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def timed_calls(model: str | None, texts: list[str]) -> dict[str, Any]:
    """Analyse `texts` as `analyze_many` does, timing every encoder call by kind."""
    from propscope.detect import marked_spans
    from propscope.detect import runtime as runtime_module
    from propscope.detect.model import Detector

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # calls, tokens, seconds
    lock = threading.Lock()

    def counted(kind: str, run: Callable[..., Any]) -> Callable[..., Any]:
        def call(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Any:
            started = time.perf_counter()
            outputs = run(ids, mask)
            took = time.perf_counter() - started
            with lock:
                totals[kind] = [a + b for a, b in zip(totals[kind], (1, ids.size, took), strict=True)]
            return outputs

        return call

    encode_texts, outputs = runtime_module.encode_texts, marked_spans.MarkedReader.outputs  # type: ignore[attr-defined]
    runtime_module.encode_texts = lambda texts, tokenizer, run, **kw: encode_texts(  # type: ignore[attr-defined]
        texts, tokenizer, counted("windows", run), **kw
    )
    marked_spans.MarkedReader.outputs = lambda self, item: outputs(  # type: ignore[method-assign]
        marked_spans.MarkedReader(self.tokenizer, counted("passages", self.run), self.workers, self.layers), item
    )
    detector = Detector.load(model)
    started = time.perf_counter()
    for _ in detector.analyze_many(texts):
        pass
    seconds = time.perf_counter() - started
    runtime_module.encode_texts = encode_texts  # type: ignore[attr-defined]
    marked_spans.MarkedReader.outputs = outputs  # type: ignore[method-assign]
    return {
        "wall_seconds": round(seconds, 2),
        **{
            kind: {
                "calls": int(calls),
                "tokens": int(tokens),
                "thread_seconds": round(busy, 2),
                "tokens_per_thread_second": round(tokens / busy),
            }
            for kind, (calls, tokens, busy) in totals.items()
        },
    }


def passage_costs(encoder: Path, repeats: int) -> dict[str, Any]:
    """Median time of one call at each of `PASSAGE_LENGTHS`, and the least-squares line."""
    calls = {str(length): (1, length) for length in PASSAGE_LENGTHS}
    medians = list(median_ms({"int8": one_thread(encoder)}, calls, repeats)["int8"].values())
    per_token, fixed = np.polyfit(PASSAGE_LENGTHS, medians, 1)
    return {
        "median_ms": dict(zip(calls, medians, strict=True)),
        "fixed_ms_per_call": round(float(fixed), 2),
        "ms_per_token": round(float(per_token), 3),
    }


def int8_vs_float(encoder: Path, repeats: int) -> dict[str, Any]:
    """Median one-thread times of the shipped encoder and its float twin."""
    with tempfile.TemporaryDirectory() as scratch:
        twin = Path(scratch) / "float.onnx"
        float_encoder(encoder, twin)
        sessions = {"int8 (shipped)": one_thread(encoder), "float, same weights": one_thread(twin)}
    medians = median_ms(sessions, CALLS, repeats)
    int8, floats = medians.values()
    return medians | {"float_over_int8": {call: round(floats[call] / int8[call], 2) for call in CALLS}}


def window_tokens(model: str | None, texts: list[str]) -> dict[str, int]:
    """Tokens the article windows hold at the model's stride and with none overlapping."""
    from propscope.detect.runtime import ModelRuntime
    from propscope.detect.windows import plan_windows, tokenize

    runtime = ModelRuntime.load(model, threads=1)
    size, stride = int(runtime.description["window_tokens"]), int(runtime.description["stride"])
    lengths = [len(tokenize(runtime.tokenizer, text)) for text in texts]

    def held(step: int) -> int:
        return sum(window.last - window.first + 2 for n in lengths for window in plan_windows(n, size, step))

    return {"text_tokens": sum(lengths), f"at_stride_{stride}": held(stride), "no_overlap": held(size)}


def main() -> None:
    from propscope.detect.runtime import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--ptc-dir", default=str(REPO.parent / "shared" / "data" / "ptc-semeval2020"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    texts = dev_texts(Path(args.ptc_dir))
    encoder = Path(args.model or default_model_dir()) / "encoder.onnx"
    results = {
        "calls": timed_calls(args.model, texts),
        "one_passage_ms": passage_costs(encoder, args.repeats),
        "int8_vs_float_ms": int8_vs_float(encoder, args.repeats),
        "window_tokens": window_tokens(args.model, texts),
        "machine": describe(),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
