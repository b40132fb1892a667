"""Running an encoder over whole texts: tokenize, cut windows, batch them, stitch.

The encoder itself is a callable, so the same code serves ONNX Runtime at inference and torch
during training: whatever the backend, a text is cut and put back together the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from propscope.detect.predict import Encoded
from propscope.detect.windows import plan_windows, stitch, tokenize, window_batch

#: run(input_ids, attention_mask) -> (probabilities (b, s, 15), hidden (b, s, h), any more outputs)
EncoderRun = Callable[[NDArray[np.int64], NDArray[np.int64]], Sequence[NDArray[np.float32]]]


def encode_texts(
    texts: Sequence[str],
    tokenizer: Tokenizer,
    run: EncoderRun,
    *,
    window_tokens: int,
    stride: int,
    specials: tuple[int, int, int],
    channels: int,
    windows_per_call: int = 16,
) -> list[Encoded]:
    """Token probabilities and hidden states for each text.

    A call to the encoder only ever holds windows of one text: an int8 model quantises its
    activations per call, so mixing texts would make one article's result depend on its
    neighbours. Hidden states are kept as float16 to halve the memory of long articles.
    """
    encoded = []
    for text in texts:
        tokens = tokenize(tokenizer, text)
        plan = plan_windows(len(tokens), window_tokens, stride)
        if not plan:
            encoded.append(Encoded.empty(tokens, channels))
            continue
        probability_rows: list[NDArray[np.float32]] = []
        hidden_rows: list[NDArray[np.float16]] = []
        for start in range(0, len(plan), windows_per_call):
            ids, mask = window_batch(tokens, plan[start : start + windows_per_call], *specials)
            probabilities, hidden = run(ids, mask)[:2]
            probability_rows.extend(probabilities)
            hidden_rows.extend(hidden.astype(np.float16))
        encoded.append(
            Encoded(tokens, stitch(probability_rows, plan, len(tokens)), stitch(hidden_rows, plan, len(tokens)))
        )
    return encoded
