"""The trainable network: a Hugging Face encoder with a token head and a span head.

The token head scores, for every token, "inside any technique" plus each of the 14
techniques (multi-label, so overlapping techniques are allowed). The span head classifies a
span from two pooled vectors (mean and max of the span's hidden vectors, or, when the span is
re-read marked in its context, the mean of its vectors and of the whole input's) and a few
hand-made features; its weights are exported to NumPy, so inference needs only the encoder
in ONNX.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel

from propscope.detect.features import N_FEATURES

#: encoder types whose position ids start after the padding id
OFFSET_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert", "mpnet"})


def base_window_limit(base: str) -> int:
    """The word pieces a window of the base model folder or name may hold besides its two
    special tokens, read from its configuration alone, so that a window it cannot read is
    refused before any weights or data are loaded. RoBERTa-style encoders number positions
    from their padding id + 1, so they read two fewer than they have."""
    config = AutoConfig.from_pretrained(base)
    offset = config.pad_token_id + 1 if config.model_type in OFFSET_POSITIONS else 0
    return int(config.max_position_embeddings) - offset - 2


def span_head_layers(inputs: int, hidden: int, techniques: int, dropout: float) -> nn.Sequential:
    """The span head: linear, GELU (tanh form, as `detect.predict.SpanHead` computes it),
    dropout, linear; `loop.head_to_numpy` reads its layers 0 and 3."""
    return nn.Sequential(
        nn.Linear(inputs, hidden),
        nn.GELU(approximate="tanh"),
        nn.Dropout(dropout),
        nn.Linear(hidden, techniques),
    )


class PropagandaTagger(nn.Module):
    """Encoder + token head; `span_head` is applied separately to pooled span vectors."""

    def __init__(self, base: str, techniques: int, dropout: float = 0.1):
        super().__init__()
        self.techniques = techniques
        self.encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
        hidden = int(self.encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.token_head = nn.Linear(hidden, 1 + techniques)
        self.span_head = span_head_layers(2 * hidden + N_FEATURES, hidden, techniques, dropout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Token logits (batch, seq, 15) and hidden states (batch, seq, hidden)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.token_head(self.dropout(hidden)), hidden

    def span_logits(self, pooled: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.span_head(self.dropout(pooled))
        return logits


class EncoderForExport(nn.Module):
    """What goes into ONNX: token probabilities and hidden states, no span head."""

    def __init__(self, tagger: PropagandaTagger):
        super().__init__()
        self.tagger = tagger

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, hidden = self.tagger(input_ids, attention_mask)
        return torch.sigmoid(logits), hidden
