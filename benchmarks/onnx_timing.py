"""Timing ONNX encoders against each other on one thread, shared by the encoder benchmarks.

Each encoder runs on one thread, as the detector reads a passage (and as two articles share 2
cores side by side), and the encoders take turns call by call, so that this shared host's
slower minutes fall on all of them alike; each figure is a median.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray


def one_thread(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def feed(rng: np.random.Generator, shape: tuple[int, int]) -> dict[str, NDArray[np.int64]]:
    """Random word-piece ids of `shape` (batch, tokens), every token attended to."""
    return {"input_ids": rng.integers(1000, 20000, shape), "attention_mask": np.ones(shape, np.int64)}


def median_ms(
    sessions: dict[str, ort.InferenceSession], calls: dict[str, tuple[int, int]], repeats: int
) -> dict[str, dict[str, float]]:
    """Median milliseconds of each session on inputs of each shape in `calls`, after one
    untimed call of each, the sessions taking turns."""
    rng = np.random.default_rng(13)
    feeds = {call: feed(rng, shape) for call, shape in calls.items()}
    for session in sessions.values():
        for inputs in feeds.values():
            session.run(None, inputs)
    times: dict[str, dict[str, list[float]]] = {name: {call: [] for call in calls} for name in sessions}
    for _ in range(repeats):
        for name, session in sessions.items():
            for call, inputs in feeds.items():
                started = time.perf_counter()
                session.run(None, inputs)
                times[name][call].append(time.perf_counter() - started)
    return {
        name: {call: round(1000 * statistics.median(runs), 2) for call, runs in by_call.items()}
        for name, by_call in times.items()
    }
