"""The default model's whole recipe as one resumable run: what `propscope recipe` does.

The default model is not one training run. Its passage check, its naming head and its edge
model learn from four taggers each trained on half of train, proposing passages in the half
they never saw; made by hand that is twelve commands, five trainings and hours of CPU, and a
step run with another folder or seed leaves a card that no longer says how the model was made.
Here the steps run in order in one work folder, which records each step once it is done, so a
rerun after an interruption goes on where it stopped (a training from its last finished epoch),
and a rerun with other settings is refused rather than mixed in. The model reaches `out` only
when every step is done, whole, and its card then gives this one command.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from propscope.detect.runtime import MODEL_FILE, write_description
from propscope.errors import InputError
from propscope.formats.files import atomic_write_text, read_text_file
from propscope.train.card import write_model_card
from propscope.train.folds import write_folds
from propscope.train.loop import TrainConfig, train
from propscope.train.progress import logged_to
from propscope.train.quantize import add_check_layers, add_edges, add_triage, changed_options, refit, ship, shown_path

log = logging.getLogger("propscope.train")

RECORD_FILE = "recipe.json"
#: the two dealings of train into halves: in sorted order, and shuffled with seed 1
SPLITS: dict[str, int | None] = {"folds": None, "folds-s1": 1}
#: each tagger trained apart: the split and fold whose other half it trains on
TAGGERS_APART = {
    "fold-1": ("folds", 1),
    "fold-2": ("folds", 2),
    "fold-s1-1": ("folds-s1", 1),
    "fold-s1-2": ("folds-s1", 2),
}
#: the check and its layers learn from the first split's taggers; naming and edges from all
#: four (more candidates from a second split made the check worse, docs/BENCHMARKS.md)
CHECK_TAGGERS = ("fold-1", "fold-2")
TAGGER, MODEL = "tagger", "model"


@dataclass(frozen=True)
class RecipeSettings:
    """Everything that decides the model a recipe makes; the defaults make the default model.
    `train_dir` and `dev_dir` are None for the configured PTC folders."""

    base: str = "minilm"
    epochs: int = 6
    learning_rate: float = 8e-5
    batch_size: int = 16
    seed: int = 13
    class_balance: float = 0.5
    #: the runs stop once an epoch scores below the best on dev; the default recipe's best epoch
    #: is its second, so this keeps the same weights at half the minutes
    patience: int = 1
    precision: str = "int8"
    device: str = "cpu"
    train_dir: str | None = None
    dev_dir: str | None = None
    #: run folders the first tagger distils from; the taggers apart stay untaught, since a
    #: teacher trained on all of train has seen the half each of them must not see
    teacher: tuple[str, ...] = ()
    distill_weight: float = 0.5


DEFAULTS = RecipeSettings()


def as_recorded(settings: RecipeSettings) -> dict[str, Any]:
    """The settings as the work folder's record holds them (JSON, so tuples become lists)."""
    recorded: dict[str, Any] = json.loads(json.dumps(asdict(settings)))
    return recorded


def recipe_command(settings: RecipeSettings, out: Path, work: Path, notes: Path | None) -> str:
    """The `propscope recipe` command that remakes the model: the settings that differ from the
    defaults, with paths as a model card may show them."""
    options = changed_options(settings, shown_values)
    return f"propscope recipe --out {shown_path(out)} --work {shown_path(work)}{options}" + (
        f" --notes {shown_path(notes)}" if notes is not None else ""
    )


def shown_values(name: str, value: Any) -> list[str]:
    """A setting's value(s) as its option is given: a path as a card may show it, and a
    repeatable option (the teachers) once for each."""
    values = list(value) if isinstance(value, tuple) else [value]
    return [shown_path(Path(v)) if name.endswith("_dir") or name == "teacher" else str(v) for v in values]


class Recipe:
    """The steps of the default model's recipe over one work folder (see the module's docstring).

    `train_dir` and `dev_dir` are the folders the steps read (the settings', or the configured
    ones); `notes` is the Markdown of failure modes seen by people, for the card."""

    def __init__(
        self,
        settings: RecipeSettings,
        work: Path,
        out: Path,
        train_dir: Path,
        dev_dir: Path,
        notes: Path | None = None,
    ) -> None:
        self.settings, self.work, self.out = settings, work, out
        self.train_dir, self.dev_dir, self.notes = train_dir, dev_dir, notes

    def steps(self) -> list[tuple[str, Callable[[], Any]]]:
        """(name, action) in the order they run: each reads only what the ones before it wrote."""
        model = self.work / MODEL
        apart = [(self.work / name, self.held(name)) for name in TAGGERS_APART]
        check = [(self.work / name, self.held(name)) for name in CHECK_TAGGERS]
        return [
            (TAGGER, lambda: self.train_tagger(TAGGER, self.train_dir, self.settings.teacher)),
            *[(split, lambda split=split: self.deal(split)) for split in SPLITS],
            *[
                (name, lambda name=name: self.train_tagger(name, self.held(name).parent / "rest"))
                for name in TAGGERS_APART
            ],
            (
                "ship",
                lambda: ship(
                    self.work / TAGGER,
                    model,
                    self.dev_dir,
                    self.out.name,
                    notes=self.notes,
                    precision=self.settings.precision,
                    span_input="marked",
                ),
            ),
            ("refit", lambda: refit(model, self.train_dir, self.dev_dir, self.notes, check, apart)),
            ("edges", lambda: add_edges(model, self.dev_dir, apart, self.notes)),
            ("check-layers", lambda: add_check_layers(model, self.dev_dir, check, self.notes)),
            ("triage", lambda: add_triage(model, self.train_dir, self.dev_dir, self.notes)),
        ]

    def held(self, tagger: str) -> Path:
        """The held-out half of train that the tagger apart `tagger` never trains on."""
        split, fold = TAGGERS_APART[tagger]
        return self.work / split / f"fold-{fold}" / "held"

    def deal(self, split: str) -> None:
        write_folds(self.train_dir, self.work / split, 2, SPLITS[split])

    def train_tagger(self, name: str, train_dir: Path, teacher: tuple[str, ...] = ()) -> None:
        """One tagger, as `propscope train` trains it, going on from its last finished epoch."""
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        config = TrainConfig(
            base=self.settings.base,
            train_dir=str(train_dir),
            dev_dir=str(self.dev_dir),
            epochs=self.settings.epochs,
            learning_rate=self.settings.learning_rate,
            batch_size=self.settings.batch_size,
            seed=self.settings.seed,
            class_balance=self.settings.class_balance,
            patience=self.settings.patience,
            teacher=teacher,
            distill_weight=self.settings.distill_weight,
        )
        with logged_to(folder / "train.log"):
            train(config, folder, resume=True, device=self.settings.device)

    def record(self) -> dict[str, Any]:
        """What the work folder says of itself: the settings and folders it was started with,
        and the steps done; a new record when the folder has none."""
        settings = as_recorded(self.settings)
        folders = {"train_dir": str(self.train_dir.resolve()), "dev_dir": str(self.dev_dir.resolve())}
        path = self.work / RECORD_FILE
        if not path.is_file():
            return {"settings": settings, **folders, "done": []}
        try:
            record = json.loads(read_text_file(path))
            # a setting the record lacks was added after the run started, which then had its default
            before = as_recorded(DEFAULTS) | dict(record["settings"]) | {key: record[key] for key in folders}
            done = [str(step) for step in record["done"]]
        except (KeyError, TypeError, ValueError):  # ValueError: not JSON, or settings that are no mapping
            raise InputError(
                f"{RECORD_FILE} is not a recipe's record; give a new --work folder", path=self.work
            ) from None
        changed = [
            f"{key}: {before.get(key)} then {value}"
            for key, value in (settings | folders).items()
            if before.get(key) != value
        ]
        if changed:
            raise InputError(
                f"was started with other settings ({', '.join(changed)}); rerun it with the settings it was started "
                "with, or give a new --work folder",
                path=self.work,
            )
        return {"settings": settings, **folders, "done": done}

    def run(self) -> dict[str, Any]:
        """Run the steps not yet done, then publish the model; returns its description."""
        self.work.mkdir(parents=True, exist_ok=True)
        record = self.record()
        # written before the first step, so that a run interrupted in it is still refused other settings
        atomic_write_text(self.work / RECORD_FILE, json.dumps(record, indent=1))
        for name, action in self.steps():
            if name in record["done"]:
                log.info("recipe: %s already done in %s", name, shown_path(self.work))
                continue
            log.info("recipe: %s", name)
            started = time.monotonic()
            action()
            log.info("recipe: %s done in %.1f min", name, (time.monotonic() - started) / 60)
            record["done"].append(name)
            atomic_write_text(self.work / RECORD_FILE, json.dumps(record, indent=1))
        return self.publish()

    def publish(self) -> dict[str, Any]:
        """Copy the finished model to `out` whole, replacing what was there only once the copy
        is complete, with this recipe's command as the card's command."""
        partial = self.out.parent / f".{self.out.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(self.work / MODEL, partial)
        description: dict[str, Any] = json.loads(read_text_file(partial / MODEL_FILE))
        description["command"] = recipe_command(self.settings, self.out, self.work, self.notes)
        write_description(partial, description)
        write_model_card(partial, description, read_text_file(self.notes) if self.notes is not None else None)
        replaced = self.out.parent / f".{self.out.name}.replaced"
        shutil.rmtree(replaced, ignore_errors=True)
        if self.out.exists():
            self.out.rename(replaced)
        partial.rename(self.out)
        shutil.rmtree(replaced, ignore_errors=True)
        log.info("recipe: the model is in %s", shown_path(self.out))
        return description
