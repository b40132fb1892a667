"""What storing a model's span and naming heads in int8 does to its dev figures.

    python benchmarks/head_storage.py [--model DIR]

The model folder is kept under 40 MB, and its ten-member span head is its second largest file.
This copies the model (default: the shipped one) twice, with its span and naming heads re-stored
in float16 and in int8 (`save_head`: each weight row as int8 times a float16 scale), and prints
both copies' file sizes and dev F1 as `propscope evaluate --split dev` computes them, as a
Markdown table. Thresholds and calibration stay as the model has them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.detect.runtime import NAMING_HEAD_FILE, ModelRuntime, default_model_dir, load_head, save_head  # noqa: E402
from propscope.evaluation import evaluate_model  # noqa: E402


def restored(model: Path, folder: Path, dtype: type[np.number[Any]]) -> Path:
    """A copy of `model` in `folder` with its span and naming heads stored as `dtype`."""
    shutil.copytree(model, folder)
    names = ModelRuntime.load(model).head.names
    for file in ("span_head.npz", NAMING_HEAD_FILE):
        if (folder / file).is_file():
            save_head(folder / file, load_head(folder / file, names), dtype)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model = Path(args.model) if args.model else default_model_dir()
    print("| heads stored as | span head bytes | model folder bytes | SI F1 | TC F1 | FLC F1 | sentence F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as scratch:
        for dtype in (np.float16, np.int8):
            folder = restored(model, Path(scratch) / np.dtype(dtype).name, dtype)
            runtime = ModelRuntime.load(folder)
            f1 = evaluate_model(runtime, Settings().dev_folder(runtime.scheme), split="dev").f1()
            size = sum(path.stat().st_size for path in folder.iterdir())
            cells = " | ".join(f"{f1[task]:.4f}" for task in ("si", "tc", "flc", "sentence"))
            print(f"| {np.dtype(dtype).name} | {(folder / 'span_head.npz').stat().st_size:,} | {size:,} | {cells} |")


if __name__ == "__main__":
    main()
