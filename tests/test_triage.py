"""The passage triage: its linear estimate, the margin it is given, and `propscope triage`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from propscope.detect.calibration import UNCALIBRATED
from propscope.detect.linear_map import LinearMap
from propscope.detect.runtime import ModelRuntime, default_model_dir
from propscope.detect.triage import TRIAGE_FILE, Triage
from propscope.train.triage import (
    MarginChoice,
    TriageExamples,
    choose_margin,
    cross_fitted_log_odds,
    fit_linear,
)
from tests.conftest import run_cli, shipped_copy_without


def examples(articles: list[str], inputs: np.ndarray, peaks: list[float], verdicts: list[float]) -> TriageExamples:
    return TriageExamples(
        np.asarray(articles),
        inputs.astype(np.float32),
        np.asarray(peaks, np.float32),
        np.asarray(verdicts, np.float32),
    )


def test_the_estimate_recovers_log_odds_that_are_linear_in_the_inputs() -> None:
    rng = np.random.default_rng(5)
    inputs = np.concatenate([rng.normal(size=(400, 2)), np.full((400, 1), 3.0)], axis=1).astype(np.float32)
    log_odds = 1.5 * inputs[:, 0] - 2.0 * inputs[:, 1] + 0.5
    verdicts = 1 / (1 + np.exp(-log_odds))
    fitted = fit_linear(inputs, verdicts.astype(np.float32), ridge=1e-6)
    assert fitted.margin == 0.0 and fitted.estimate.scale[2] == 1.0  # a constant input is not divided by a zero spread
    assert np.abs(fitted.log_odds(inputs) - log_odds).max() < 1e-3


def test_each_article_is_estimated_by_a_map_fitted_without_it() -> None:
    rng = np.random.default_rng(6)
    inputs = rng.normal(size=(50, 3))
    made = examples([f"a{k % 5}" for k in range(50)], inputs, [0.5] * 50, list(rng.uniform(0.05, 0.95, 50)))
    estimates = cross_fitted_log_odds(made, ridge=10.0)
    held = made.articles == "a2"
    others = fit_linear(made.inputs[~held], made.verdicts[~held], ridge=10.0)
    assert estimates[held].tolist() == others.log_odds(made.inputs[held]).tolist()
    assert estimates[held].tolist() != fit_linear(made.inputs, made.verdicts, 10.0).log_odds(made.inputs[held]).tolist()


def test_the_margin_is_the_smallest_that_loses_no_more_reported_passages_than_allowed() -> None:
    # peaks of 1 and a check weighing 0.5: a passage scores verdict ** 0.5 and is reported at 0.5 from a
    # verdict of 0.25 (log-odds -1.10) on; the first two are reported, their estimates -2 and -1.5
    made = examples(["a"] * 4, np.zeros((4, 1)), [1.0] * 4, [0.9, 0.3, 0.1, 0.05])
    estimates = np.asarray([-2.0, -1.5, -3.0, -4.0], np.float32)
    assert choose_margin(made, estimates, 0.5, UNCALIBRATED, 0.5, lost_share=0.0) == MarginChoice(1.0, 0.0, 0.5)
    assert choose_margin(made, estimates, 0.5, UNCALIBRATED, 0.5, lost_share=0.5) == MarginChoice(0.5, 0.5, 0.75)


def test_a_saved_triage_loads_with_the_margin_its_model_records(tmp_path: Path) -> None:
    LinearMap(
        np.asarray([1.0, 2.0], np.float32),
        np.asarray([2.0, 4.0], np.float32),
        np.asarray([[0.5, -1.0]], np.float32),
        np.asarray([0.25], np.float32),
    ).save(tmp_path / TRIAGE_FILE)
    loaded = Triage.load(tmp_path / TRIAGE_FILE, margin=2.0)
    assert loaded.margin == 2.0 and loaded.log_odds(np.asarray([[3.0, 6.0]], np.float32)).tolist() == [
        -0.25
    ]  # 0.5 * 1 - 1 * 1 + 0.25


def test_a_triage_saved_by_an_older_propscope_is_refused_with_the_command_that_refits_it(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    with np.load(folder / TRIAGE_FILE) as saved:  # the layout before the shared linear map: one weight row, "bias"
        old = {
            "mean": saved["mean"],
            "scale": saved["scale"],
            "weights": saved["weights"][0],
            "bias": saved["biases"][0],
        }
    np.savez(folder / TRIAGE_FILE, **old)
    result = run_cli("analyze", "--model", str(folder), "-", stdin="The corrupt elites lied again.\n")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert (
        f"{folder / TRIAGE_FILE}: is in an older layout (no biases); write it again with 'propscope triage {folder}'"
        in (result.stderr)
    )


def test_propscope_triage_gives_a_shipped_model_a_triage_and_records_it(tiny_ptc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    before = shipped_copy_without(folder, "triage", TRIAGE_FILE)
    result = run_cli(
        "triage", str(folder), "--train-dir", str(tiny_ptc), "--dev-dir", str(tiny_ptc), "--lost-share", "0.1"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    after = json.loads((folder / "propscope-model.json").read_text())
    recorded = after["triage"]
    assert recorded["articles"] == 1 and recorded["passages"] >= 1 and recorded["lost_share_allowed"] == 0.1
    assert recorded["cross_fitted"]["lost_share"] <= 0.1
    assert json.loads(result.stdout)["triage"] == recorded
    runtime = ModelRuntime.load(folder)
    assert runtime.triage is not None and runtime.triage.margin == recorded["margin"]
    assert runtime.triage.estimate.weights.shape == (1, 2 * runtime.hidden_size + 6 + 1)  # mean, max, features, peak
    assert after["dev"]["si"]["gold"] == 2  # re-measured, with the triage, on the dev folder given
    assert after["command"] == before["command"] + f" && propscope triage {tmp_path.name}/model --lost-share 0.1"
    assert (
        "- Passage triage: a candidate is read marked in its context only if" in (folder / "MODEL_CARD.md").read_text()
    )

    neutral = tmp_path / "neutral"
    (neutral / "neutral-articles").mkdir(parents=True)
    (neutral / "neutral-labels-task-flc-tc").mkdir()
    (neutral / "neutral-articles" / "article901.txt").write_text("The council meets on Tuesday.\n", encoding="utf-8")
    (neutral / "neutral-labels-task-flc-tc" / "article901.task-flc-tc.labels").write_text("", encoding="utf-8")
    written = (folder / "propscope-model.json").read_text()
    nothing = run_cli("triage", str(folder), "--train-dir", str(neutral), "--dev-dir", str(tiny_ptc))
    assert nothing.returncode == 1 and nothing.stderr.count("\n") == 1
    assert f"{neutral}: the model finds no passage worth reading in these articles" in nothing.stderr
    assert (folder / "propscope-model.json").read_text() == written  # the triage fitted before is kept

    pooled = run_cli("triage", str(default_model_dir("semeval2023")), "--train-dir", str(tiny_ptc))
    assert pooled.returncode == 1 and "has no passage check, so there is no verdict to triage" in pooled.stderr
    out_of_range = run_cli("triage", str(folder), "--lost-share", "2")
    assert out_of_range.returncode == 2 and "--lost-share" in out_of_range.stderr
