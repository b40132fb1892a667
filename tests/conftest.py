"""Shared fixtures: where the shared PTC data and scorer vectors are, and a tiny PTC folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PROPSCOPE_SHARED_DIR", REPO.parent / "shared"))
PTC_DIR = Path(os.environ.get("PROPSCOPE_PTC_DIR", SHARED / "data" / "ptc-semeval2020"))
VECTORS = SHARED / "scorer-vectors"

# Our own tiny article: offsets below are counted by hand and checked in test_formats.
TINY_TEXT = "A Shameful Plan\n\nThe corrupt elites lied again.\nOur brave nation deserves better!\n"
TINY_TC = "900\tLoaded_Language\t21\t28\n900\tName_Calling,Labeling\t21\t35\n900\tFlag-Waving\t48\t64\n"


@pytest.fixture(scope="session")
def ptc_dir() -> Path:
    if not (PTC_DIR / "dev").is_dir():
        message = f"shared PTC data not found at {PTC_DIR}; set PROPSCOPE_PTC_DIR"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI always has ../shared: a skip there would hide untested metrics
        pytest.skip(message)
    return PTC_DIR


@pytest.fixture
def tiny_ptc(tmp_path: Path) -> Path:
    """A PTC folder in the release layout with one article and per-article label files."""
    root = tmp_path / "tiny"
    (root / "tiny-articles").mkdir(parents=True)
    (root / "tiny-labels-task-flc-tc").mkdir()
    (root / "tiny-articles" / "article900.txt").write_text(TINY_TEXT, encoding="utf-8", newline="")
    (root / "tiny-labels-task-flc-tc" / "article900.task-flc-tc.labels").write_text(TINY_TC, encoding="utf-8")
    return root


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `propscope` entry point, as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "propscope", *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        check=False,
    )


def shipped_copy_without(folder: Path, part: str, file: str) -> dict[str, Any]:
    """Copy the default model to `folder` without the `part` its description records nor that
    part's `file`, as if it were never added; returns the description as written."""
    import json
    import shutil

    from propscope.detect.runtime import default_model_dir

    shutil.copytree(default_model_dir(), folder)
    description: dict[str, Any] = json.loads((folder / "propscope-model.json").read_text())
    description.pop(part, None)
    (folder / "propscope-model.json").write_text(json.dumps(description))
    (folder / file).unlink(missing_ok=True)
    return description
