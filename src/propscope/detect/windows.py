"""Cutting an article into overlapping token windows whose offsets map back exactly.

An encoder sees at most `max_tokens` tokens at once; articles are longer. Each window keeps
the character offsets of its tokens into the original text, so token scores can be turned
back into code-point spans without any re-alignment. Where windows overlap, a token's score
is taken from the window in which it sits furthest from the edge (most context both sides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer


@dataclass(frozen=True)
class TokenizedText:
    """Word-piece ids and character offsets of the whole text, without special tokens."""

    ids: NDArray[np.int64]
    offsets: NDArray[np.int64]  # shape (n, 2): [start, end) in code points

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Window:
    """Tokens [first, last) of a TokenizedText, with special tokens around them at encode time."""

    first: int
    last: int


def tokenize(tokenizer: Tokenizer, text: str) -> TokenizedText:
    """Tokenize without truncation or special tokens; empty text gives zero tokens."""
    encoding: Encoding = tokenizer.encode(text, add_special_tokens=False)
    ids = np.asarray(encoding.ids, dtype=np.int64)
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
    keep = offsets[:, 1] > offsets[:, 0]  # drop zero-width tokens, which no span can cover
    return TokenizedText(ids=ids[keep], offsets=offsets[keep])


def plan_windows(n_tokens: int, size: int, stride: int) -> list[Window]:
    """Windows of `size` tokens every `stride` tokens, the last one flush with the end."""
    if n_tokens <= size:
        return [Window(0, n_tokens)] if n_tokens else []
    starts = list(range(0, n_tokens - size, stride))
    starts.append(n_tokens - size)
    return [Window(start, start + size) for start in starts]


def frame_rows(
    rows: list[NDArray[np.int64]], cls_id: int, sep_id: int, pad_id: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """input_ids and attention_mask for rows of token ids, each as [CLS] ... [SEP], right-padded.

    Row token i sits at column i + 1: training targets and stitching rely on that shift."""
    width = max(len(row) for row in rows) + 2
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for index, row in enumerate(rows):
        n = len(row)
        input_ids[index, 0] = cls_id
        input_ids[index, 1 : n + 1] = row
        input_ids[index, n + 1] = sep_id
        mask[index, : n + 2] = 1
    return input_ids, mask


def window_batch(
    tokens: TokenizedText, windows: list[Window], cls_id: int, sep_id: int, pad_id: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """input_ids and attention_mask for windows of one tokenized text."""
    return frame_rows([tokens.ids[w.first : w.last] for w in windows], cls_id, sep_id, pad_id)


def stitch(window_scores: list[NDArray[Any]], windows: list[Window], n_tokens: int) -> NDArray[Any]:
    """Per-token values for the whole text from per-window values (special tokens removed),
    in the windows' dtype.

    Each token takes its value from the window where it is furthest from either edge.
    """
    scores = np.zeros((n_tokens, window_scores[0].shape[-1]), dtype=window_scores[0].dtype)
    best_margin = np.full(n_tokens, -1, dtype=np.int64)
    for window, values in zip(windows, window_scores, strict=True):
        positions = np.arange(window.first, window.last)
        margin = np.minimum(positions - window.first, window.last - 1 - positions)
        better = margin > best_margin[positions]
        scores[positions[better]] = values[1 : 1 + len(positions)][better]
        best_margin[positions[better]] = margin[better]
    return scores


def special_ids(tokenizer: Tokenizer) -> tuple[int, int, int]:
    """The ids of [CLS], [SEP] and [PAD] (or <s>, </s>, <pad> for RoBERTa-style vocabularies)."""

    def first_known(*names: str) -> int:
        for name in names:
            token_id = tokenizer.token_to_id(name)
            if token_id is not None:
                return int(token_id)
        raise ValueError(f"the tokenizer has none of the special tokens {names}")

    return first_known("[CLS]", "<s>"), first_known("[SEP]", "</s>"), first_known("[PAD]", "<pad>")


def load_tokenizer(path: str) -> Tokenizer:
    """Load tokenizer.json with its own truncation and padding off: windowing does both here,
    and a tokenizer that truncates would silently drop the end of every long article."""
    tokenizer = Tokenizer.from_file(path)
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer
