"""The shipped model: its recorded dev figures still come out, and it finds the obvious."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propscope.detect.model import MODEL_FILE, Detector, default_model_dir
from propscope.train.quantize import QUICK_CHECK_KEY
from tests.conftest import REPO, run_cli

DESCRIPTION = json.loads((default_model_dir() / MODEL_FILE).read_text())


def test_model_is_small_and_documented() -> None:
    folder = default_model_dir()
    assert sum(f.stat().st_size for f in folder.iterdir()) < 40 * 2**20
    card = (folder / "MODEL_CARD.md").read_text()
    for needed in ("Training data", "Command", "Seed 13", "| si |", "Never trained on dev"):
        assert needed in card


def test_dev_subset_reproduces_recorded_figures(ptc_dir: Path) -> None:
    result = run_cli("evaluate", "--split", "dev", "--limit", "10", "--format", "json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    recorded = DESCRIPTION[QUICK_CHECK_KEY]
    for task in ("si", "tc", "flc", "sentence"):
        assert scores[task]["f1"] == pytest.approx(recorded[task], abs=0.005), task


def test_recorded_full_dev_figures_meet_the_floor() -> None:
    dev = DESCRIPTION["dev"]
    assert dev["si"]["f1"] >= 0.35 and dev["tc"]["f1"] >= 0.45


def test_example_editorial_flags_the_loaded_passages_not_the_neutral_ones() -> None:
    text = (REPO / "examples" / "editorial.txt").read_text(encoding="utf-8")
    analysis = Detector.load().analyze(text)
    flagged = {text[s.start : s.end] for s in analysis.sentences if s.flagged}
    assert any("spineless bureaucrats" in sentence for sentence in flagged)
    assert "Residents can read the full text of the bill at the public library." not in flagged


def test_seed_article_loaded_language_and_name_calling_are_found(ptc_dir: Path) -> None:
    seed = ptc_dir.parent.parent / "examples" / "seed-article.txt"
    text = seed.read_text(encoding="utf-8")
    spans = Detector.load().analyze(text).spans

    def found(phrase: str, technique: str | None = None) -> bool:
        at = text.index(phrase)
        return any(s.start <= at and at + len(phrase) <= s.end and technique in (None, s.technique) for s in spans)

    assert found("sinful", "Loaded_Language")
    assert found("jihadists", "Name_Calling,Labeling")
    assert found("black evil")
    assert found("terrorists\u2019 supporter", "Name_Calling,Labeling")
