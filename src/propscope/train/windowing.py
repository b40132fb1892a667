"""How a training run cuts articles into windows unless told otherwise.

Kept apart from the training code so the CLI can show these defaults without importing
torch or NumPy.
"""

from __future__ import annotations

#: 254 word pieces and the two special tokens fill the 256 positions all-MiniLM-L6-v2 was fine-tuned on;
#: training windows overlap by 54 word pieces, those read at inference (averaged) by 62.
WINDOW_DEFAULTS = {"window_tokens": 254, "train_stride": 200, "inference_stride": 192}
