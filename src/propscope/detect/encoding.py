"""Running an encoder over whole texts: tokenize, cut windows, batch them across texts, stitch.

The encoder itself is a callable, so the same code serves ONNX Runtime at inference and torch
during training: whatever the backend, a text is cut and put back together the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from propscope.detect.predict import Encoded
from propscope.detect.windows import TokenizedText, Window, plan_windows, stitch, tokenize, window_batch

#: run(input_ids, attention_mask) -> (probabilities (b, s, 15), hidden (b, s, h))
EncoderRun = Callable[[NDArray[np.int64], NDArray[np.int64]], tuple[NDArray[np.float32], NDArray[np.float32]]]


def encode_texts(
    texts: Sequence[str],
    tokenizer: Tokenizer,
    run: EncoderRun,
    *,
    window_tokens: int,
    stride: int,
    specials: tuple[int, int, int],
    windows_per_call: int = 16,
) -> list[Encoded]:
    """Token probabilities and hidden states for each text.

    Windows of all texts are sorted by length and run `windows_per_call` at a time, so short
    texts share calls and little padding is computed. Hidden states are kept as float16 to
    halve the memory of long articles.
    """
    tokenized = [tokenize(tokenizer, text) for text in texts]
    plans = [plan_windows(len(tokens), window_tokens, stride) for tokens in tokenized]
    jobs = sorted(
        ((index, window) for index, plan in enumerate(plans) for window in plan),
        key=lambda job: job[1].last - job[1].first,
    )
    outputs: dict[tuple[int, int], tuple[NDArray[np.float32], NDArray[np.float16]]] = {}
    for start in range(0, len(jobs), windows_per_call):
        chunk = jobs[start : start + windows_per_call]
        ids, mask = _batch(chunk, tokenized, specials)
        probabilities, hidden = run(ids, mask)
        for row, (index, window) in enumerate(chunk):
            outputs[(index, window.first)] = (probabilities[row], hidden[row].astype(np.float16))
    encoded = []
    for index, (tokens, plan) in enumerate(zip(tokenized, plans, strict=True)):
        if not plan:
            encoded.append(Encoded.empty(tokens))
            continue
        probability_rows = [outputs[(index, w.first)][0] for w in plan]
        hidden_rows = [outputs[(index, w.first)][1] for w in plan]
        encoded.append(
            Encoded(tokens, stitch(probability_rows, plan, len(tokens)), stitch(hidden_rows, plan, len(tokens)))
        )
    return encoded


def _batch(
    chunk: list[tuple[int, Window]], tokenized: list[TokenizedText], specials: tuple[int, int, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """One padded batch from windows of different texts."""
    rows = [window_batch(tokenized[index], [window], *specials) for index, window in chunk]
    width = max(ids.shape[1] for ids, _ in rows)
    ids = np.full((len(rows), width), specials[2], dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for row, (row_ids, row_mask) in enumerate(rows):
        ids[row, : row_ids.shape[1]] = row_ids[0]
        mask[row, : row_mask.shape[1]] = row_mask[0]
    return ids, mask
