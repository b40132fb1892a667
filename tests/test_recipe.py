"""`propscope recipe`: the default model's whole recipe as one resumable run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TINY_TEXT, run_cli

pytest.importorskip("torch")

IDS = ["900", "901", "902", "903"]


def tiny_train(folder: Path) -> Path:
    """A PTC folder of four copies of the project's tiny article, enough to deal into halves."""
    (folder / "articles").mkdir(parents=True)
    for article_id in IDS:
        (folder / "articles" / f"article{article_id}.txt").write_text(TINY_TEXT, encoding="utf-8", newline="")
    rows = "".join(f"{i}\tLoaded_Language\t21\t28\n{i}\tFlag-Waving\t48\t64\n" for i in IDS)
    (folder / "train-task-flc-tc.labels").write_text(rows, encoding="utf-8")
    return folder


class FakeSteps:
    """The recipe's heavy steps replaced by records of how they were called; `ship` copies the
    default model, so that publishing has a real folder to write a card for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: str | None = None) -> None:
        from propscope.train import recipe

        self.calls: list[tuple[Any, ...]] = []
        self.teachers: dict[str, tuple[tuple[str, ...], float]] = {}
        self.fail = fail
        monkeypatch.setattr(recipe, "train", self.train)
        monkeypatch.setattr(recipe, "ship", self.ship)
        monkeypatch.setattr(recipe, "refit", self.refit)
        monkeypatch.setattr(recipe, "add_triage", self.triage)
        monkeypatch.setattr(recipe, "add_edges", self.edges)
        monkeypatch.setattr(recipe, "add_check_layers", self.check_layers)

    def step(self, *call: Any) -> None:
        self.calls.append(call)
        if call[0] == self.fail:
            raise KeyboardInterrupt  # what Ctrl-C raises in the middle of a step

    def train(self, config: Any, folder: Path, *, resume: bool, device: str) -> None:
        self.step("train", folder.name, Path(config.train_dir), config.seed, config.patience, resume, device)
        self.teachers[folder.name] = (config.teacher, config.distill_weight)

    def ship(self, trained: Path, out: Path, dev: Path, name: str, **options: Any) -> None:
        from propscope.detect.runtime import default_model_dir

        shutil.copytree(default_model_dir(), out, dirs_exist_ok=True)
        self.step("ship", trained.name, out.name, name, options["precision"], options["span_input"])

    def refit(self, model: Path, train: Path, dev: Path, notes: Path | None, check: Any, naming: Any) -> None:
        self.step("refit", model.name, [(t.name, f) for t, f in check], [(t.name, f) for t, f in naming])

    def triage(self, model: Path, train: Path, dev: Path, notes: Path | None) -> None:
        self.step("triage", model.name)

    def edges(self, model: Path, dev: Path, proposers: Any, notes: Path | None) -> None:
        self.step("edges", model.name, [(t.name, f) for t, f in proposers])

    def check_layers(self, model: Path, dev: Path, proposers: Any, notes: Path | None) -> None:
        self.step("check-layers", model.name, [(t.name, f) for t, f in proposers])


def interrupted_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: str, **choices: Any
) -> tuple[FakeSteps, Any, Path]:
    """A recipe over the tiny train folder (`tmp_path`/train, also its dev), working in
    `tmp_path`/work towards `tmp_path`/model, stopped by Ctrl-C in its first `at` step; returns
    the steps it called, its settings and the train folder."""
    from propscope.train.recipe import Recipe, RecipeSettings

    train = tiny_train(tmp_path / "train")
    settings = RecipeSettings(**choices, train_dir=str(train), dev_dir=str(train))
    steps = FakeSteps(monkeypatch, fail=at)
    with pytest.raises(KeyboardInterrupt):
        Recipe(settings, tmp_path / "work", tmp_path / "model", train, train).run()
    return steps, settings, train


def test_recipe_runs_the_default_models_steps_in_order_and_goes_on_after_an_interruption(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propscope.formats.ptc import read_ptc_folder
    from propscope.train.recipe import Recipe

    work, out = tmp_path / "work", tmp_path / "model"
    out.mkdir()
    (out / "older-model.txt").write_text("the model that was here before")
    interrupted, settings, train = interrupted_recipe(tmp_path, monkeypatch, "refit")
    halves = {
        name: work / split / f"fold-{fold}"
        for name, split, fold in (
            ("fold-1", "folds", 1),
            ("fold-2", "folds", 2),
            ("fold-s1-1", "folds-s1", 1),
            ("fold-s1-2", "folds-s1", 2),
        )
    }
    assert interrupted.calls[:5] == [
        ("train", "tagger", train, 13, 1, True, "cpu"),
        ("train", "fold-1", halves["fold-1"] / "rest", 13, 1, True, "cpu"),
        ("train", "fold-2", halves["fold-2"] / "rest", 13, 1, True, "cpu"),
        ("train", "fold-s1-1", halves["fold-s1-1"] / "rest", 13, 1, True, "cpu"),
        ("train", "fold-s1-2", halves["fold-s1-2"] / "rest", 13, 1, True, "cpu"),
    ]
    assert interrupted.calls[5] == ("ship", "tagger", "model", "model", "int8", "marked")
    assert interrupted.calls[6][0] == "refit" and len(interrupted.calls) == 7
    # the two dealings of train: in sorted order, then shuffled with seed 1 (`propscope folds --shuffle 1`)
    assert sorted(read_ptc_folder(halves["fold-1"] / "held").articles) == ["900", "902"]
    assert sorted(read_ptc_folder(halves["fold-s1-1"] / "held").articles) == ["902", "903"]
    record = json.loads((work / "recipe.json").read_text())
    assert record["done"] == ["tagger", "folds", "folds-s1", "fold-1", "fold-2", "fold-s1-1", "fold-s1-2", "ship"]
    assert sorted(path.name for path in out.iterdir()) == ["older-model.txt"]  # nothing half-made in its place

    resumed = FakeSteps(monkeypatch)
    description = Recipe(settings, work, out, train, train).run()
    held = {name: folder / "held" for name, folder in halves.items()}
    assert resumed.calls == [
        ("refit", "model", [("fold-1", held["fold-1"]), ("fold-2", held["fold-2"])], list(held.items())),
        ("edges", "model", list(held.items())),
        ("check-layers", "model", [("fold-1", held["fold-1"]), ("fold-2", held["fold-2"])]),
        ("triage", "model"),
    ]
    assert not (out / "older-model.txt").exists()
    written = json.loads((out / "propscope-model.json").read_text())
    command = f"propscope recipe --out {tmp_path.name}/model --work {tmp_path.name}/work"
    assert (
        written["command"]
        == description["command"]
        == f"{command} --train-dir {tmp_path.name}/train " + (f"--dev-dir {tmp_path.name}/train")
    )
    assert f"- Command: `{written['command']}`" in (out / "MODEL_CARD.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "train", "work"]  # no partial copy left beside


def test_a_work_folder_refuses_other_settings_before_any_step_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propscope.errors import InputError
    from propscope.train.recipe import Recipe, RecipeSettings

    work = tmp_path / "work"
    _, _, train = interrupted_recipe(tmp_path, monkeypatch, "train")

    untouched = FakeSteps(monkeypatch)
    with pytest.raises(InputError, match=r"was started with other settings \(seed: 13 then 14\)"):
        Recipe(
            RecipeSettings(seed=14, train_dir=str(train), dev_dir=str(train)), work, tmp_path / "m", train, train
        ).run()
    assert untouched.calls == []

    result = run_cli(
        "recipe", "--out", str(tmp_path / "m"), "--work", str(work), "--train-dir", str(train),
        "--dev-dir", str(train), "--patience", "2",
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {work}: was started with other settings (patience: 1 then 2); rerun it with the settings it was "
        "started with, or give a new --work folder"
    )
    wrong = run_cli("recipe", "--out", str(tmp_path / "m"), "--work", str(tmp_path / "w2"), "--precision", "int4")
    assert wrong.returncode == 2 and "expected one of: auto, int8, fp32" in wrong.stderr
    assert not (tmp_path / "w2").exists()  # refused before the work folder is made
    (work / "recipe.json").write_text("{not json")
    damaged = run_cli("recipe", "--out", str(tmp_path / "m"), "--work", str(work), "--train-dir", str(train))
    assert damaged.returncode == 1
    assert damaged.stderr.strip().splitlines()[-1] == (
        f"error: {work}: recipe.json is not a recipe's record; give a new --work folder"
    )
    assert not (tmp_path / "m").exists()


def test_a_record_from_before_a_setting_existed_goes_on_with_that_settings_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propscope.errors import InputError
    from propscope.train.recipe import Recipe, RecipeSettings

    work = tmp_path / "work"
    _, settings, train = interrupted_recipe(tmp_path, monkeypatch, "refit")
    record = json.loads((work / "recipe.json").read_text())
    for added_later in ("teacher", "distill_weight"):  # what the first recipe's records lacked
        del record["settings"][added_later]
    (work / "recipe.json").write_text(json.dumps(record))

    with pytest.raises(InputError, match=r"other settings \(teacher: \[\] then \['runs/mpnet'\]\)"):
        Recipe(
            RecipeSettings(teacher=("runs/mpnet",), train_dir=str(train), dev_dir=str(train)),
            work, tmp_path / "model", train, train,
        ).run()  # fmt: skip
    steps = FakeSteps(monkeypatch)
    Recipe(settings, work, tmp_path / "model", train, train).run()
    assert [call[0] for call in steps.calls] == ["refit", "edges", "check-layers", "triage"]
    assert json.loads((work / "recipe.json").read_text())["settings"]["teacher"] == []


def ptc_sample(ptc_dir: Path, split: str, count: int, folder: Path) -> Path:
    """A PTC folder of `count` short articles of `split`, with their gold rows."""
    (folder / "articles").mkdir(parents=True)
    articles = sorted((ptc_dir / split / f"{split}-articles").glob("article*.txt"), key=lambda p: p.stat().st_size)
    ids = set()
    for path in articles[5 : 5 + count]:  # short, for speed; two of train's very shortest hold no technique
        shutil.copyfile(path, folder / "articles" / path.name)
        ids.add(path.stem.removeprefix("article"))
    rows = (ptc_dir / split / f"{split}-task-flc-tc.labels").read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if row.split("\t")[0] in ids]
    (folder / f"{split}-task-flc-tc.labels").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


def test_a_real_recipe_in_miniature_makes_a_model_with_every_part_of_the_default_one(
    ptc_dir: Path, tmp_path: Path
) -> None:
    """Four training articles, one epoch: every step runs for real (a few minutes)."""
    from propscope.detect.runtime import ModelRuntime

    train, dev = ptc_sample(ptc_dir, "train", 4, tmp_path / "train"), ptc_sample(ptc_dir, "dev", 2, tmp_path / "dev")
    out, work = tmp_path / "made", tmp_path / "work"
    options = ["--train-dir", str(train), "--dev-dir", str(dev), "--epochs", "1", "--batch-size", "4"]
    result = run_cli("recipe", "--out", str(out), "--work", str(work), *options)
    assert result.returncode == 0, result.stderr[-3000:]
    description = json.loads((out / "propscope-model.json").read_text())
    assert json.loads(result.stdout)["dev"]["tc"] == description["dev"]["tc"]["f1"]
    assert description["model_id"] == "made" and description["precision"] == "int8"
    assert description["command"] == (
        f"propscope recipe --out {tmp_path.name}/made --work {tmp_path.name}/work --epochs 1 --batch-size 4 "
        f"--train-dir {tmp_path.name}/train --dev-dir {tmp_path.name}/dev"
    )
    assert [t["tagger"] for t in description["passage_check"]["out_of_fold"]] == ["fold-1", "fold-2"]
    apart = ["fold-1", "fold-2", "fold-s1-1", "fold-s1-2"]
    assert [t["tagger"] for t in description["naming_head"]["found"]] == apart
    assert [t["tagger"] for t in description["edges"]["found"]] == apart
    assert [t["tagger"] for t in description["check_layers"]["out_of_fold"]] == ["fold-1", "fold-2"]
    assert "triage" in description
    for run in ["tagger", *apart]:
        assert "epoch 1 dev" in (work / run / "train.log").read_text()  # each training logs as `propscope train` does
    analysis = json.loads(run_cli("analyze", "-", "--model", str(out), "--format", "json", stdin=TINY_TEXT).stdout)
    assert analysis[0]["model_id"] == "made"
    made = ModelRuntime.load(out)
    assert made.edges is not None and made.check_layers is not None

    again = run_cli("recipe", "--out", str(out), "--work", str(work), *options)
    assert again.returncode == 0 and again.stderr.count("already done") == 12  # every step done: only published


def test_a_teacher_teaches_the_first_tagger_and_never_the_taggers_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from propscope.train.recipe import Recipe

    steps, settings, train = interrupted_recipe(
        tmp_path, monkeypatch, "ship", teacher=("runs/mpnet",), distill_weight=0.3
    )
    assert steps.teachers == {
        "tagger": (("runs/mpnet",), 0.3),
        **{name: ((), 0.3) for name in ("fold-1", "fold-2", "fold-s1-1", "fold-s1-2")},
    }
    # a record read back holds the teachers as a list: the same settings all the same
    Recipe(settings, tmp_path / "work", tmp_path / "model", train, train).record()


def test_the_cards_command_names_only_what_differs_from_the_default_recipe() -> None:
    from propscope.train.recipe import RecipeSettings, recipe_command

    assert recipe_command(RecipeSettings(), Path("runs/m"), Path("runs/r"), None) == (
        "propscope recipe --out runs/m --work runs/r"
    )
    settings = RecipeSettings(
        base="runs/mpnet-base", seed=29, learning_rate=5e-05, device="cuda", teacher=("runs/t1", "runs/t2")
    )
    assert recipe_command(settings, Path("runs/m"), Path("runs/r"), Path("notes.md")) == (
        "propscope recipe --out runs/m --work runs/r --base runs/mpnet-base --learning-rate 5e-05 --seed 29 "
        "--device cuda --teacher runs/t1 --teacher runs/t2 --notes notes.md"
    )
