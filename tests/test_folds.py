"""`propscope folds`: training articles dealt into folds for taggers trained apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from propscope.formats.ptc import read_ptc_folder
from propscope.train.folds import deal
from tests.conftest import TINY_TEXT, run_cli

IDS = ["903", "900", "904", "901", "902"]


def test_articles_are_dealt_in_turn_by_sorted_id_and_a_seed_gives_a_second_split() -> None:
    assert deal(IDS, 2) == [["900", "902", "904"], ["901", "903"]]
    assert deal(IDS, 3) == [["900", "903"], ["901", "904"], ["902"]]
    assert deal(IDS, 2, shuffle=1) == [["901", "902", "904"], ["900", "903"]]  # random.Random(1), any machine
    with pytest.raises(ValueError, match="folds must be 2 or more"):
        deal(IDS, 1)
    with pytest.raises(ValueError, match="6 folds of 5 articles would leave a fold empty"):
        deal(IDS, 6)


def test_folds_link_the_articles_and_keep_each_folds_gold_rows_in_file_order(tmp_path: Path) -> None:
    train = tmp_path / "train"
    (train / "articles").mkdir(parents=True)
    for article_id in IDS:
        (train / "articles" / f"article{article_id}.txt").write_text(TINY_TEXT, encoding="utf-8", newline="")
    tc_rows = "".join(f"{i}\tFlag-Waving\t48\t64\n{i}\tLoaded_Language\t21\t28\n" for i in IDS)
    (train / "train-task-flc-tc.labels").write_text(tc_rows, encoding="utf-8")

    result = run_cli("folds", "--out", str(tmp_path / "folds"), "--train-dir", str(train))
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"fold-1": {\n    "held": 3,\n    "rest": 2\n  }' in result.stdout
    held, rest = tmp_path / "folds" / "fold-1" / "held", tmp_path / "folds" / "fold-1" / "rest"
    assert sorted(read_ptc_folder(held).articles) == ["900", "902", "904"]
    assert sorted(read_ptc_folder(rest).articles) == ["901", "903"]
    assert (held / "articles" / "article900.txt").resolve() == (train / "articles" / "article900.txt").resolve()
    assert (held / "train-task-flc-tc.labels").read_text(encoding="utf-8") == "".join(
        f"{i}\tFlag-Waving\t48\t64\n{i}\tLoaded_Language\t21\t28\n" for i in ("900", "904", "902")
    )  # as the full file lists them, not re-sorted
    assert not (held / "train-task-si.labels").exists()  # the folder had no SI file: its reader merges TC rows

    missing = run_cli("folds", "--out", str(tmp_path / "other"), "--train-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such file or folder; check the path"
    assert not (tmp_path / "other").exists()
    one = run_cli("folds", "--out", str(tmp_path / "other"), "--train-dir", str(train), "--folds", "1")
    assert one.returncode == 2 and "--folds" in one.stderr
    many = run_cli("folds", "--out", str(tmp_path / "other"), "--train-dir", str(train), "--folds", "6")
    assert many.returncode == 2 and "6 folds of 5 articles would leave a fold empty" in many.stderr
    assert "Traceback" not in many.stderr and not (tmp_path / "other").exists()
