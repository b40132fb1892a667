"""Commands that make models: train, ship, rescore, refit, triage, edges or check layers for a shipped one, the folds
they read, and the recipe that runs them all as the default model was made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from propscope import techniques
from propscope.cli.common import print_json, require_one_of, state
from propscope.train.progress import log_progress
from propscope.train.windowing import WINDOW_DEFAULTS

if TYPE_CHECKING:
    from propscope.detect.runtime import ModelRuntime

NotesOption = Annotated[
    Path | None, typer.Option(help="Markdown with failure modes seen on real articles, for the model card.")
]
ShippedDevOption = Annotated[
    Path | None, typer.Option(help="Dev folder. Default: as for 'propscope evaluate --split dev'.")
]
MarkedModelArgument = Annotated[
    Path, typer.Argument(help="A model folder written by 'propscope ship --span-input marked'.")
]
FittedOnOption = Annotated[
    Path | None,
    typer.Option(help="Training folder to fit on. Default: as for 'propscope train'."),
]
BaseOption = Annotated[
    str,
    typer.Option(help="Encoder: a Hugging Face model folder or hub name; 'minilm' is the packaged all-MiniLM-L6-v2."),
]
LearningRateOption = Annotated[float, typer.Option(help="Peak AdamW learning rate (linear warm-up and decay).")]
BatchSizeOption = Annotated[int, typer.Option(min=1, help="Windows per optimisation step.")]
ClassBalanceOption = Annotated[
    float, typer.Option(min=0.0, help="Span-loss class weights (largest count / count) ** this; 0 turns them off.")
]
PRECISIONS = ("auto", "int8", "fp32")


def train(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder to write the trained model into (and its checkpoints).")],
    base: BaseOption = "minilm",
    scheme: Annotated[
        str,
        typer.Option(
            help="semeval2020: the 14 PTC techniques (PTC folders); semeval2023: the 23 techniques, genre and "
            "frames (the SemEval-2023 English folder, split by its dev-ids.txt)."
        ),
    ] = "semeval2020",
    train_dir: Annotated[
        Path | None,
        typer.Option(
            help="Training folder. Default: <PROPSCOPE_PTC_DIR>/train, or PROPSCOPE_SEMEVAL2023_DIR for semeval2023."
        ),
    ] = None,
    dev_dir: Annotated[
        Path | None,
        typer.Option(
            help="Dev folder for selection. Default: <PROPSCOPE_PTC_DIR>/dev, or PROPSCOPE_SEMEVAL2023_DIR (dev ids)."
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 3,
    learning_rate: LearningRateOption = 8e-5,
    batch_size: BatchSizeOption = 16,
    window_tokens: Annotated[
        int,
        typer.Option(
            min=8,
            help="Word pieces per window besides its two special tokens: 254 fills the 256 positions "
            "all-MiniLM-L6-v2 was fine-tuned on. An encoder fine-tuned on longer inputs may read more; MiniLM "
            "reads up to 510, but finds less with them (docs/BENCHMARKS.md).",
        ),
    ] = WINDOW_DEFAULTS["window_tokens"],
    train_stride: Annotated[
        int, typer.Option(min=1, help="Word pieces from one training window's start to the next's.")
    ] = WINDOW_DEFAULTS["train_stride"],
    inference_stride: Annotated[
        int,
        typer.Option(
            min=1, help="The same when reading an article; the model keeps it, and overlapping windows are averaged."
        ),
    ] = WINDOW_DEFAULTS["inference_stride"],
    seed: Annotated[int, typer.Option(help="Seed for shuffling and initialisation; runs are reproducible.")] = 13,
    class_balance: ClassBalanceOption = 0.5,
    sentence_loss_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Weight of a second loss, 'does this sentence hold a technique', on each sentence's "
            "strongest token; 0 trains on tokens and spans alone.",
        ),
    ] = 0.0,
    sentence_credit: Annotated[
        str,
        typer.Option(
            help="What the sentence loss judges a sentence holding a technique by: its strongest token (strongest); "
            "its strongest token inside a gold span (gold: never lifting a word beside the real finding); "
            "the mean of its tokens inside gold spans (gold-mean: lifting the whole passage evenly); their soft "
            "maximum (gold-soft: between the two, sharing the lift with the passage's weaker tokens); or none (such "
            "sentences are left to the token loss). Clean sentences are always judged by their strongest token.",
        ),
    ] = "strongest",
    adversarial_epsilon: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Learn every batch a second time with its word embeddings moved this far along the loss's "
            "gradient (adversarial training, FGM; 1.0 is the usual size); each step costs twice as long. "
            "0 leaves it out; with MiniLM on PTC, 1.0 found no more (docs/BENCHMARKS.md).",
        ),
    ] = 0.0,
    teacher: Annotated[
        list[Path] | None,
        typer.Option(
            help="Distil from this model folder (made by 'propscope train'); repeat it to distil from the "
            "average of several (an ensemble of seeds, or a larger --base)."
        ),
    ] = None,
    distill_weight: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="With --teacher: the teacher's share of every training target.")
    ] = 0.5,
    span_input: Annotated[
        str,
        typer.Option(
            help="How spans are classified: pooled (from the article's own encoding) or marked (each span "
            "re-read between markers in a sentence or two of context: better techniques, one more short "
            "encoder pass per span)."
        ),
    ] = "pooled",
    init: Annotated[
        Path | None,
        typer.Option(help="Start from the best weights of this run folder (its checkpoint.pt) instead of --base."),
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Stop once this many epochs in a row score below the best on dev (SI + TC F1); the "
            "learning rate still follows the --epochs schedule. Default: run every epoch.",
        ),
    ] = None,
    limit_articles: Annotated[
        int | None, typer.Option(min=1, help="Use only the first N articles of each split (smoke tests).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run from OUT/resume.pt (saved after every epoch).")
    ] = False,
    device: Annotated[
        str,
        typer.Option(
            help="Where to train: cpu (reproducible to the bit with the same versions on the same machine), cuda "
            "(or cuda:N, a GPU: a large --base trains in minutes, and teachers are read there too), or auto (the GPU "
            "when torch sees one)."
        ),
    ] = "cpu",
) -> None:
    """Fine-tune an encoder on PTC train, select the best epoch and thresholds on dev, export ONNX.

    Needs the training extra (pip install 'propscope\\[train]'). Progress is logged to stderr and
    to OUT/train.log; after every epoch OUT/resume.pt holds what --resume needs and the best
    epoch is kept in OUT/checkpoint.pt.

    Example: propscope train --out runs/minilm --epochs 3 --seed 13
    """
    from propscope.train.loop import SENTENCE_CREDITS, SPAN_INPUTS, TrainConfig, training_device
    from propscope.train.loop import train as run_training

    training_device(device)  # a device that is not there is refused before any data is read

    settings = state(ctx).settings
    require_one_of(scheme, techniques.SCHEMES, "--scheme")
    require_one_of(span_input, SPAN_INPUTS, "--span-input")
    require_one_of(sentence_credit, SENTENCE_CREDITS, "--sentence-credit")
    for hint, stride in (("--train-stride", train_stride), ("--inference-stride", inference_stride)):
        if stride > window_tokens:
            raise typer.BadParameter(
                f"at most --window-tokens ({window_tokens}), or the words between windows are never read",
                param_hint=hint,
            )
    if init is not None and not (init / "checkpoint.pt").is_file():
        raise typer.BadParameter(
            f"{init} has no checkpoint.pt; give a run folder of 'propscope train'", param_hint="--init"
        )
    out.mkdir(parents=True, exist_ok=True)
    log_progress(out / "train.log")
    config = TrainConfig(
        base=base,
        scheme=scheme,
        train_dir=str(train_dir or settings.train_folder(scheme)),
        dev_dir=str(dev_dir or settings.dev_folder(scheme)),
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        window_tokens=window_tokens,
        train_stride=train_stride,
        inference_stride=inference_stride,
        seed=seed,
        class_balance=class_balance,
        sentence_loss_weight=sentence_loss_weight,
        sentence_credit=sentence_credit,
        adversarial_epsilon=adversarial_epsilon,
        teacher=tuple(str(folder) for folder in teacher or ()),
        distill_weight=distill_weight,
        limit_articles=limit_articles,
        span_input=span_input,
        init=str(init) if init is not None else None,
        patience=patience,
    )
    summary = run_training(config, out, resume=resume, device=device)
    print_json({"thresholds": summary["thresholds"], "dev": {k: v["f1"] for k, v in summary["dev"].items()}})


def ship(
    ctx: typer.Context,
    trained: Annotated[Path, typer.Argument(help="A model folder written by 'propscope train'.")],
    out: Annotated[Path, typer.Option(help="Where to write the model that ships.")] = Path(
        "src/propscope/models/propscope-minilm"
    ),
    dev_dir: Annotated[Path | None, typer.Option(help="PTC dev folder. Default: <PROPSCOPE_PTC_DIR>/dev.")] = None,
    notes: NotesOption = None,
    precision: Annotated[
        str,
        typer.Option(
            help="auto: int8 when its dev SI and TC F1 stay within 0.01 of fp32; int8 or fp32 to force one "
            "(int8 keeps a MiniLM model under 40 MB)."
        ),
    ] = "auto",
    span_input: Annotated[
        str | None,
        typer.Option(
            help="marked: refit the span head on the shipped encoder's reading of each training span between "
            "markers in its context, and fit a passage check on the same reading of the tagger's training "
            "candidates (better techniques and passages; one more short encoder pass per passage). Default: "
            "keep the head trained with the encoder."
        ),
    ] = None,
) -> None:
    """Quantise a trained model to int8, tune thresholds and calibrate scores on dev, write its model card.

    int8 is kept only when its dev SI and TC F1 stay within 0.01 of fp32; otherwise fp32 ships.

    Example: propscope ship runs/minilm --out src/propscope/models/propscope-minilm
    """
    from propscope.detect.runtime import MODEL_FILE
    from propscope.errors import InputError
    from propscope.formats.files import read_text_file
    from propscope.train.quantize import ship as ship_model

    log_progress()
    if not (trained / MODEL_FILE).is_file():
        raise InputError(
            f"is not a trained model folder (no {MODEL_FILE}); give the --out of 'propscope train'", path=trained
        )
    require_one_of(precision, PRECISIONS, "--precision")
    if span_input not in (None, "marked"):
        raise typer.BadParameter("expected marked (or leave it out)", param_hint="--span-input")
    scheme = json.loads(read_text_file(trained / MODEL_FILE)).get("scheme", techniques.DEFAULT_SCHEME)
    description = ship_model(
        trained,
        out,
        dev_dir or state(ctx).settings.dev_folder(scheme),
        out.name,
        notes=notes,
        precision=precision,
        span_input=span_input,
    )
    print_json({"precision": description["precision"], "variants": description["variants"]})


def dev_f1(description: dict[str, Any]) -> dict[str, float]:
    """The dev F1 of each task a model description records."""
    return {task: scores["f1"] for task, scores in description["dev"].items() if "f1" in scores}


def shipped_runtime(model: Path) -> ModelRuntime:
    """The model folder loaded, or a one-line error when it is missing, damaged, or was not
    made by 'propscope ship' (which records the dev figures rescore and refit rewrite)."""
    from propscope.detect.runtime import ModelRuntime
    from propscope.errors import InputError
    from propscope.train.quantize import QUICK_CHECK_KEY

    runtime = ModelRuntime.load(model)
    if QUICK_CHECK_KEY not in runtime.description:
        raise InputError("was not made by 'propscope ship' (it records no dev figures); ship it first", path=model)
    return runtime


def rescore(
    ctx: typer.Context,
    model: Annotated[Path, typer.Argument(help="A model folder written by 'propscope ship'.")],
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
) -> None:
    """Re-measure a shipped model on dev after a change to the decoding rules, and rewrite the
    figures it records and its model card; weights, thresholds and calibration stay as shipped.

    Example: propscope rescore src/propscope/models/propscope-minilm --notes docs/model-notes/propscope-minilm.md
    """
    from propscope.train.quantize import rescore as rescore_model

    runtime = shipped_runtime(model)
    description = rescore_model(model, dev_dir or state(ctx).settings.dev_folder(runtime.scheme), notes)
    print_json({"dev": dev_f1(description)})


def fitting_folders(
    ctx: typer.Context, runtime: ModelRuntime, train_dir: Path | None, dev_dir: Path | None
) -> tuple[Path, Path]:
    """The training and dev folders a fit on a shipped model reads (given, or the settings'
    for its scheme), with its progress logged as it goes."""
    log_progress()
    settings = state(ctx).settings
    return train_dir or settings.train_folder(runtime.scheme), dev_dir or settings.dev_folder(runtime.scheme)


def out_of_fold_pairs(pairs: list[str] | None, option: str) -> list[tuple[Path, Path]]:
    """`option`'s TAGGER=FOLDER values as paths, or a usage error naming `option`."""
    from propscope.train.marked_head import tagger_and_folder

    try:
        return [tagger_and_folder(pair) for pair in pairs or ()]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def refit(
    ctx: typer.Context,
    model: MarkedModelArgument,
    train_dir: FittedOnOption = None,
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
    check_out_of_fold: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TAGGER=FOLDER",
            help="Also refit the passage check, on the tagger's own training candidates and on those TAGGER (a "
            "model folder) proposes in FOLDER, a PTC folder of training articles it never trained on (folds from "
            "'propscope folds'). Repeat it for each fold.",
        ),
    ] = None,
    name_out_of_fold: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TAGGER=FOLDER",
            help="Also give the model a head of its own for naming the passages it finds, fitted on the training "
            "spans and on the passages TAGGER finds in FOLDER, training articles it never trained on. Repeat it for "
            "each fold.",
        ),
    ] = None,
) -> None:
    """Refit a shipped marked model's span head as 'propscope ship' now fits it (marked reading plus
    the article's own vectors), retune its thresholds on dev, and rewrite its figures and model card;
    the encoder stays as shipped, and so does the passage check unless --check-out-of-fold is given.
    With --name-out-of-fold, the passages the model finds are named by a head fitted on found
    passages too; techniques of given spans still come from the span head.

    Example: propscope refit src/propscope/models/propscope-minilm --notes docs/model-notes/propscope-minilm.md
    """
    from propscope.train.marked_head import require_marked
    from propscope.train.quantize import refit as refit_model

    proposers = out_of_fold_pairs(check_out_of_fold, "--check-out-of-fold")
    namers = out_of_fold_pairs(name_out_of_fold, "--name-out-of-fold")
    runtime = shipped_runtime(model)
    require_marked(runtime, model, "has a marked span head to refit")
    description = refit_model(model, *fitting_folders(ctx, runtime, train_dir, dev_dir), notes, proposers, namers)
    print_json({"dev": dev_f1(description)})


def triage(
    ctx: typer.Context,
    model: MarkedModelArgument,
    train_dir: FittedOnOption = None,
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
    lost_share: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Largest share of the passages the model reports in the training articles that the triage may "
            "rule out unread.",
        ),
    ] = 0.002,
) -> None:
    """Give a shipped marked model a passage triage: an estimate, from the article pass alone, of
    the verdict its passage check would give each candidate, so that candidates it could not lift
    over the span threshold are not read at all; then rewrite its dev figures and model card.

    Example: propscope triage src/propscope/models/propscope-minilm --notes docs/model-notes/propscope-minilm.md
    """
    from propscope.train.quantize import add_triage

    runtime = shipped_runtime(model)
    description = add_triage(model, *fitting_folders(ctx, runtime, train_dir, dev_dir), notes, lost_share)
    print_json({"triage": description["triage"], "dev": dev_f1(description)})


def edges(
    ctx: typer.Context,
    model: MarkedModelArgument,
    out_of_fold: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TAGGER=FOLDER",
            help="The passages TAGGER (a model folder) finds in FOLDER, a PTC folder of training articles it never "
            "trained on (folds from 'propscope folds'), teach where edges belong. Repeat it for each fold. Without "
            "it, the passages MODEL finds in its own training articles (--train-dir) teach them, which on PTC "
            "teaches the same moves (docs/BENCHMARKS.md).",
        ),
    ] = None,
    train_dir: FittedOnOption = None,
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
) -> None:
    """Give a shipped marked model an edge model: from the marked reading it already computes for
    each passage, it moves either edge of a found passage by a word or two where that brings the
    passage closer to what annotators mark; then rewrite its dev figures and model card.

    Example: propscope edges src/propscope/models/propscope-minilm --out-of-fold runs/fold-1=runs/folds/fold-1/held
    --out-of-fold runs/fold-2=runs/folds/fold-2/held
    """
    from propscope.train.quantize import add_edges

    proposers = out_of_fold_pairs(out_of_fold, "--out-of-fold")
    if proposers and train_dir is not None:
        raise typer.BadParameter("give the folds or the model's training folder, not both", param_hint="--train-dir")
    runtime = shipped_runtime(model)
    train, dev = fitting_folders(ctx, runtime, train_dir, dev_dir)
    description = add_edges(model, dev, proposers or [(model, train)], notes)
    print_json({"edges": description["edges"], "dev": dev_f1(description)})


def check_layers(
    ctx: typer.Context,
    model: MarkedModelArgument,
    out_of_fold: Annotated[
        list[str],
        typer.Option(
            metavar="TAGGER=FOLDER",
            help="The candidates TAGGER (a model folder) proposes in FOLDER, a PTC folder of training articles it "
            "never trained on (folds from 'propscope folds'), teach the layers. Repeat it for each fold.",
        ),
    ],
    layers: Annotated[int, typer.Option(min=1, help="How many of the base encoder's top layers are fine-tuned.")] = 2,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the candidates.")] = 2,
    learning_rate: LearningRateOption = 5e-5,
    seed: Annotated[int, typer.Option(help="Seed of the fine-tuning.")] = 13,
    share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Their verdict's share in the one used (a geometric mean).")
    ] = 0.5,
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
) -> None:
    """Give a shipped marked model's passage check encoder layers of its own: the top layers of
    its base encoder, fine-tuned on the candidates taggers trained apart propose in training
    articles they never saw, read from the vectors the encoder already computes for each
    passage; then retune thresholds and calibration on dev and rewrite its figures and model
    card. Removes a passage triage (fit a new one with 'propscope triage'). Needs the training extra.

    Example: propscope check-layers runs/minilm-model --out-of-fold runs/fold-1=runs/folds/fold-1/held
    --out-of-fold runs/fold-2=runs/folds/fold-2/held
    """
    from propscope.train.check_layers import CheckLayersSettings
    from propscope.train.marked_head import require_marked
    from propscope.train.quantize import add_check_layers

    proposers = out_of_fold_pairs(out_of_fold, "--out-of-fold")
    runtime = shipped_runtime(model)
    require_marked(runtime, model, "has a passage check to give layers to")
    settings = CheckLayersSettings(layers=layers, epochs=epochs, learning_rate=learning_rate, seed=seed, share=share)
    _, dev = fitting_folders(ctx, runtime, None, dev_dir)
    description = add_check_layers(model, dev, proposers, notes, settings)
    print_json({"check_layers": description["check_layers"], "dev": dev_f1(description)})


def folds(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder to write fold-1, fold-2, ... into (each with held/ and rest/).")],
    count: Annotated[int, typer.Option("--folds", min=2, help="How many folds to deal the articles into.")] = 2,
    shuffle: Annotated[
        int | None,
        typer.Option(
            metavar="SEED",
            help="Shuffle the sorted ids with this seed before dealing: a second split whose folds mix the first's.",
        ),
    ] = None,
    train_dir: Annotated[
        Path | None, typer.Option(help="Training folder to deal. Default: as for 'propscope train'.")
    ] = None,
) -> None:
    """Deal the training articles into folds: fold-k/rest to train a tagger on (propscope train
    --train-dir), fold-k/held for the candidates it proposes in articles it never saw (propscope
    refit --check-out-of-fold TAGGER=fold-k/held). Articles are linked, not copied.

    Example: propscope folds --out runs/folds
    """
    from propscope.train.folds import write_folds

    try:
        written = write_folds(train_dir or state(ctx).settings.ptc_folder("train"), out, count, shuffle)
    except ValueError as error:  # more folds than articles
        raise typer.BadParameter(str(error), param_hint="--folds") from None
    print_json(
        {f"fold-{k}": {"held": fold.held_articles, "rest": fold.rest_articles} for k, fold in enumerate(written, 1)}
    )


def recipe(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the finished model (replaced only once it is whole).")],
    work: Annotated[
        Path,
        typer.Option(
            help="Folder for the runs, folds and the model as it is made, and the record of the steps done; "
            "give the same one again to go on after an interruption."
        ),
    ],
    base: BaseOption = "minilm",
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data, at most, for each tagger.")] = 6,
    learning_rate: LearningRateOption = 8e-5,
    batch_size: BatchSizeOption = 16,
    seed: Annotated[int, typer.Option(help="Seed of every training run.")] = 13,
    class_balance: ClassBalanceOption = 0.5,
    patience: Annotated[
        int, typer.Option(min=1, help="Stop a training once this many epochs in a row score below its best on dev.")
    ] = 1,
    precision: Annotated[
        str, typer.Option(help="int8 (the default model's), fp32, or auto (int8 when dev F1 holds).")
    ] = "int8",
    device: Annotated[
        str,
        typer.Option(
            help="Where the taggers train: cpu (reproducible to the bit with the same versions on the same "
            "machine), cuda, cuda:N or auto."
        ),
    ] = "cpu",
    teacher: Annotated[
        list[Path] | None,
        typer.Option(
            help="The first tagger distils from this run folder (made by 'propscope train', e.g. a larger --base); "
            "repeat it for the average of several. The taggers apart stay untaught: a teacher trained on all of "
            "train has seen the half each of them must not see."
        ),
    ] = None,
    distill_weight: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="With --teacher: the teacher's share of every training target.")
    ] = 0.5,
    train_dir: FittedOnOption = None,
    dev_dir: ShippedDevOption = None,
    notes: NotesOption = None,
) -> None:
    """Make a model by the default model's whole recipe, in one resumable run: a tagger on train;
    train dealt into halves twice (propscope folds, the second shuffled with seed 1) and a
    tagger on each half; ship (int8, marked passages); refit with the passage check learning
    from the first split's taggers and a naming head from all four; edges from all four; check
    layers from the first split's taggers; triage.

    Each step is recorded in WORK once done, so the same command after an interruption goes on
    where it stopped (a training from its last finished epoch); other settings on the same WORK
    are refused. With the defaults it makes the default model: five trainings and about 40 minutes of
    fitting and measuring on 2 CPU cores (--device cuda trains the taggers on a GPU). Needs the
    training extra.

    Example: propscope recipe --out runs/minilm-model --work runs/recipe --notes docs/model-notes/propscope-minilm.md
    """
    from propscope.train.loop import training_device
    from propscope.train.recipe import Recipe, RecipeSettings

    training_device(device)  # a device that is not there is refused before anything runs
    require_one_of(precision, PRECISIONS, "--precision")
    settings = state(ctx).settings
    choices = RecipeSettings(
        base=base,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
        class_balance=class_balance,
        patience=patience,
        precision=precision,
        device=device,
        teacher=tuple(str(folder) for folder in teacher or ()),
        distill_weight=distill_weight,
        train_dir=str(train_dir) if train_dir is not None else None,
        dev_dir=str(dev_dir) if dev_dir is not None else None,
    )
    work.mkdir(parents=True, exist_ok=True)
    log_progress(work / "recipe.log")
    made = Recipe(
        choices,
        work,
        out,
        train_dir or settings.train_folder(techniques.DEFAULT_SCHEME),
        dev_dir or settings.dev_folder(techniques.DEFAULT_SCHEME),
        notes,
    ).run()
    print_json({"model": str(out), "dev": dev_f1(made)})


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(ship)
    app.command()(rescore)
    app.command()(refit)
    app.command()(triage)
    app.command()(edges)
    app.command(name="check-layers")(check_layers)
    app.command()(folds)
    app.command()(recipe)
