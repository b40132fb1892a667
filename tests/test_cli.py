"""The command line as a user meets it: output, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_evaluate_dev_gold_against_itself_is_perfect(ptc_dir: Path) -> None:
    dev = ptc_dir / "dev"
    result = run_cli("evaluate", "--gold", str(dev), "--pred", str(dev / "dev-task-flc-tc.labels"), "--format", "json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert {scores[t]["f1"] for t in ("si", "tc", "flc", "sentence")} == {1.0}
    assert scores["si"]["gold"] == 940 and scores["tc"]["spans"] == 1063
    loaded = scores["flags"]["Loaded_Language"]
    assert loaded == {"flags": 325, "overlapping_gold": 325, "mean_score": 1.0, "share": 1.0}
    assert sum(flags["flags"] for flags in scores["flags"].values()) == 1063


def test_evaluate_table_shows_every_task_and_technique(ptc_dir: Path) -> None:
    dev = ptc_dir / "dev"
    result = run_cli("evaluate", "--gold", str(dev), "--pred", str(dev / "dev-task-flc-tc.labels"))
    assert result.returncode == 0, result.stderr
    for word in ("si", "flc", "sentence", "tc (micro)", "Whataboutism,Straw_Men,Red_Herring", "1.0000"):
        assert word in result.stdout
    loaded = next(line for line in result.stdout.splitlines() if "Loaded_Language" in line)
    assert [cell.strip() for cell in loaded.split("│")[-4:-1]] == ["325", "1.0000", "1.0000"]  # flags, share, score
    assert "share overlapping gold" in result.stdout


def test_evaluate_si_vector_from_the_command_line(ptc_dir: Path) -> None:
    vector = ptc_dir.parent.parent / "scorer-vectors" / "si" / "si-shift-10.txt"
    result = run_cli(
        "evaluate", "--gold", str(ptc_dir / "dev"), "--pred", str(vector), "--task", "si", "--format", "json"
    )
    assert round(json.loads(result.stdout)["si"]["f1"], 6) == 0.483504


def test_data_stats_counts_train(ptc_dir: Path) -> None:
    result = run_cli("data", "stats", str(ptc_dir / "train"), "--format", "json")
    stats = json.loads(result.stdout)
    assert stats["articles"] == 371
    assert stats["technique_spans"] == 6128
    assert stats["by_technique"]["Loaded_Language"]["spans"] == 2123
    assert stats["by_technique"]["Bandwagon,Reductio_ad_hitlerum"]["spans"] == 72
    table = run_cli("data", "stats", str(ptc_dir / "train"))
    assert "371 articles" in table.stdout and "6,128 technique spans" in table.stdout


def test_techniques_lists_all_fourteen() -> None:
    listed = json.loads(run_cli("techniques", "--format", "json").stdout)
    assert len(listed) == 14 and listed[8]["name"] == "Loaded_Language"
    assert "Loaded language" in run_cli("techniques").stdout


def test_missing_gold_path_is_one_line_exit_1(tmp_path: Path) -> None:
    result = run_cli("evaluate", "--gold", str(tmp_path / "nope"), "--pred", str(tmp_path / "p.labels"))
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path / 'nope'}: no such file or folder; check the path\n"


def test_malformed_prediction_row_names_file_and_line(tiny_ptc: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.labels"
    pred.write_text("900\tDoubt\t0\t4\n900\t4\n")
    result = run_cli("evaluate", "--gold", str(tiny_ptc), "--pred", str(pred))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {pred}:2: expected 3 tab-separated columns")
    assert "Traceback" not in result.stderr


def test_prediction_for_unknown_article(tiny_ptc: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.labels"
    pred.write_text("123\t0\t4\n")
    result = run_cli("evaluate", "--gold", str(tiny_ptc), "--pred", str(pred))
    assert result.returncode == 1
    assert "predicts article 123, which is not in the gold" in result.stderr


def test_tc_on_spans_that_are_not_gold(tiny_ptc: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.labels"
    pred.write_text("900\tDoubt\t0\t4\n")
    result = run_cli("evaluate", "--gold", str(tiny_ptc), "--pred", str(pred), "--task", "tc")
    assert result.returncode == 1
    assert "TC predictions must label exactly the gold spans" in result.stderr


def test_wrong_usage_exits_2() -> None:
    assert run_cli("evaluate", "--task", "everything").returncode == 2
    assert run_cli("no-such-command").returncode == 2


def test_empty_folder_error(tmp_path: Path) -> None:
    result = run_cli("data", "stats", str(tmp_path))
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: {tmp_path}: holds no article<ID>.txt files; give a PTC folder (articles plus label files)\n"
    )


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_cli("--debug", "data", "stats", str(tmp_path))
    assert result.returncode == 1 and "Traceback" in result.stderr
