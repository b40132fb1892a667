"""The `propscope` command line: Typer commands that read input, call the library and render.

Exit codes scripts can trust: 0 done, 1 an input could not be processed (one line on stderr
naming it), 2 wrong usage. Tracebacks appear only with `--debug`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from propscope import __version__, techniques
from propscope.config import Settings
from propscope.datastats import corpus_stats
from propscope.errors import InputError
from propscope.evaluation import evaluate as run_evaluation
from propscope.evaluation import load_gold, load_predictions, model_predictions
from propscope.formats.ptc import read_ptc_folder

if TYPE_CHECKING:
    from propscope.article import Analysis

app = typer.Typer(
    name="propscope",
    help="Find propaganda and persuasion techniques in news text, and score detectors against gold.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
data_app = typer.Typer(help="Inspect annotated corpora in the PTC layout.", no_args_is_help=True)
app.add_typer(data_app, name="data")

console = Console()
error_console = Console(stderr=True, markup=False, highlight=False)
_debug = {"enabled": False}


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class Task(StrEnum):
    si = "si"
    tc = "tc"
    flc = "flc"
    sentence = "sentence"


def _version(value: bool) -> None:
    if value:
        console.print(f"propscope {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """propscope: which passages of an article use which propaganda technique, and how sure."""
    _debug["enabled"] = debug


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _fmt(value: float) -> str:
    return f"{value:.4f}"


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class AnalyzeFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    ptc = "ptc"


ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model folder. Default: PROPSCOPE_MODEL, else the shipped model.")
]


ThresholdOption = Annotated[
    float | None,
    typer.Option(min=0.0, max=1.0, help="Span threshold in [0, 1]; lower finds more. Default: tuned on dev."),
]
TechniquesOption = Annotated[
    list[str] | None,
    typer.Option("--techniques", help="Keep only these techniques (label names; repeat or comma-separate)."),
]
MaxCharsOption = Annotated[int | None, typer.Option(min=1, help="Refuse longer articles. Default 1,000,000.")]
SourcesArgument = Annotated[
    list[str],
    typer.Argument(help="A .txt or .html file, a folder of them, an http(s) URL, or - for standard input."),
]


SAVED_ANALYSES = (".json", ".jsonl")


def _analyses(
    sources: list[str],
    threshold: float | None,
    only: list[str] | None,
    model: Path | None,
    max_chars: int | None,
    *,
    saved: bool = False,
) -> Iterator[Analysis]:
    """Analyse every article of every source lazily, in the order given; with `saved`, .json and
    .jsonl sources are analyses written earlier and are read back instead of re-analysed."""
    from propscope.detect.model import Detector
    from propscope.formats.jsonl import read_analyses
    from propscope.formats.text import read_articles

    settings = Settings()
    wanted = _technique_names(only)
    policy = settings.fetch_policy()
    detector: Detector | None = None
    for source in sources:
        if saved and source.endswith(SAVED_ANALYSES):
            yield from read_analyses(Path(source))
            continue
        detector = detector or Detector.load(model or settings.model)
        yield from detector.analyze_many(
            read_articles(source, policy),
            threshold=threshold,
            techniques=wanted,
            max_chars=max_chars or settings.max_chars,
        )


@app.command()
def analyze(
    sources: SourcesArgument,
    output_format: Annotated[
        AnalyzeFormat,
        typer.Option("--format", help="text: highlighted view; json/jsonl: analyses; ptc: FLC label rows."),
    ] = AnalyzeFormat.text,
    threshold: ThresholdOption = None,
    only: TechniquesOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
) -> None:
    """Find propaganda techniques in articles with the shipped model (offline, CPU).

    Prints each article with its technique spans highlighted and a summary per technique, or
    machine formats with --format. Examples:

      propscope analyze examples/editorial.txt

      cat article.txt | propscope analyze - --format json

      propscope analyze articles/ --format ptc > predictions.labels
    """
    from propscope.formats.jsonl import dumps_json
    from propscope.formats.ptc import format_tc_labels
    from propscope.report.terminal import render

    analyses = _analyses(sources, threshold, only, model, max_chars)
    if output_format is AnalyzeFormat.json:
        sys.stdout.write(dumps_json(list(analyses)))
    elif output_format is AnalyzeFormat.jsonl:
        for analysis in analyses:
            sys.stdout.write(json.dumps(analysis.to_dict(), ensure_ascii=False) + "\n")
    elif output_format is AnalyzeFormat.ptc:
        for analysis in analyses:
            sys.stdout.write(format_tc_labels({analysis.article.id: analysis.spans}))
    else:
        for analysis in analyses:
            render(analysis, console)


@app.command()
def report(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="A .txt or .html file, a folder of them, an http(s) URL, - for standard input, "
            "or analyses saved by 'propscope analyze --format json/jsonl' (.json/.jsonl)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    title: Annotated[str | None, typer.Option(help="Page title. Default: the article's title.")] = None,
    threshold: ThresholdOption = None,
    only: TechniquesOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
) -> None:
    """Write a self-contained HTML report: every span highlighted in its technique's colour.

    Hover or focus a passage to see the technique, its definition and the score; click the
    legend to filter techniques; drag the slider to hide low scores. The file needs nothing
    else (no network, no installation) and can be e-mailed. Several inputs give one page with
    an index. Examples:

      propscope report examples/editorial.txt -o report.html

      propscope analyze articles/ --format jsonl > analyses.jsonl; propscope report analyses.jsonl -o report.html
    """
    from propscope.formats.files import atomic_write_text
    from propscope.report.html import render_report

    analyses = list(_analyses(sources, threshold, only, model, max_chars, saved=True))
    atomic_write_text(output, render_report(analyses, title=title))
    spans = sum(len(analysis.spans) for analysis in analyses)
    error_console.print(f"wrote {output}: {len(analyses)} article(s), {spans} span(s)")


def _technique_names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    names = [name.strip() for value in values for name in _split_names(value)]
    unknown = [name for name in names if not techniques.is_known(name)]
    if unknown:
        raise typer.BadParameter(
            f"unknown technique {unknown[0]!r}; run 'propscope techniques' for the names", param_hint="--techniques"
        )
    return names


def _split_names(value: str) -> list[str]:
    """Split a comma-separated list of technique names; names may contain commas themselves."""
    names, current = [], ""
    for part in value.split(","):
        current = f"{current},{part}" if current else part
        if techniques.is_known(current.strip()):
            names.append(current)
            current = ""
    if current:
        names.append(current)
    return names


@app.command()
def evaluate(
    gold: Annotated[
        Path | None,
        typer.Option(help="Gold: a PTC folder (articles plus label files) or one SI/TC label file."),
    ] = None,
    pred: Annotated[
        Path | None,
        typer.Option(help="Predictions: an SI/TC label file, or analyses as .json/.jsonl. Omit to run the model."),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(help="Evaluate the model on this split of PROPSCOPE_PTC_DIR (e.g. dev) instead of --gold."),
    ] = None,
    model: ModelOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="With the model: only the first N articles.")] = None,
    task: Annotated[
        Task | None, typer.Option(help="Score only this task. Default: every task the inputs allow.")
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts.")] = (
        OutputFormat.table
    ),
) -> None:
    """Score predictions against gold with the official SemEval-2020 Task 11 measures.

    [bold]si[/bold]: span identification precision/recall/F1 (partial overlap, overlapping
    predictions merged). [bold]tc[/bold]: micro-F1 of techniques on the gold spans, and F1 per
    technique. [bold]flc[/bold]: span F1 where the technique must match. [bold]sentence[/bold]:
    F1 of sentences flagged as containing any technique (needs a gold folder).

    Without --pred the model is run over the gold folder (SI, FLC and sentence from its own
    spans; TC by classifying the gold spans, as in the SemEval TC subtask).

    Examples:

      propscope evaluate --split dev

      propscope evaluate --gold ../shared/data/ptc-semeval2020/dev
      --pred ../shared/data/ptc-semeval2020/dev/dev-task-flc-tc.labels
    """
    if split is not None:
        gold = Settings().ptc_dir / split
    if gold is None:
        raise typer.BadParameter("give --gold (a PTC folder or label file) or --split", param_hint="--gold/--split")
    if pred is not None:
        results = run_evaluation(load_gold(gold), load_predictions(pred), task.value if task else None)
    else:
        from propscope.detect.model import Detector

        if not gold.is_dir():
            raise InputError("to evaluate the model, --gold must be a PTC folder (articles plus labels)", path=gold)
        detector = Detector.load(model or Settings().model)
        gold_values, predictions, tc = model_predictions(detector, read_ptc_folder(gold), limit)
        results = run_evaluation(gold_values, predictions, task.value if task else None, tc_predictions=tc)
        results["model_id"] = detector.model_id
    if output_format is OutputFormat.json:
        _print_json(results)
        return
    _print_evaluation(results)


def _print_evaluation(results: dict[str, Any]) -> None:
    overall = Table(title="Scores", title_justify="left")
    for column in ("task", "precision", "recall", "F1", "predicted", "gold"):
        overall.add_column(column, justify="left" if column == "task" else "right")
    for name in ("si", "flc", "sentence"):
        if name in results:
            r = results[name]
            overall.add_row(
                name, _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["f1"]), str(r["predicted"]), str(r["gold"])
            )
    if "tc" in results:
        tc = results["tc"]
        overall.add_row("tc (micro)", "", "", _fmt(tc["f1"]), str(tc["spans"]), str(tc["spans"]))
    console.print(overall)
    if "tc" not in results and "flc" not in results:
        return
    per = Table(title="F1 per technique", title_justify="left")
    per.add_column("technique")
    for name in ("tc", "flc"):
        if name in results:
            per.add_column(f"{name} F1", justify="right")
    for technique in techniques.TECHNIQUE_NAMES:
        cells = [_fmt(results[name]["per_technique"][technique]) for name in ("tc", "flc") if name in results]
        per.add_row(technique, *cells)
    console.print(per)


@data_app.command("stats")
def data_stats(
    folder: Annotated[Path, typer.Argument(help="A PTC folder: article<ID>.txt files plus label files.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts.")] = (
        OutputFormat.table
    ),
) -> None:
    """Count articles and technique spans, and describe span lengths, for a PTC folder.

    Example: propscope data stats ../shared/data/ptc-semeval2020/train
    """
    stats = corpus_stats(read_ptc_folder(folder))
    if output_format is OutputFormat.json:
        _print_json(stats)
        return
    console.print(
        f"[bold]{stats['folder']}[/bold]: {stats['articles']:,} articles "
        f"({stats['articles_without_spans']} without spans), {stats['characters']:,} characters, "
        f"{stats['technique_spans']:,} technique spans, {stats['si_spans']:,} SI spans"
    )
    table = Table(title="Spans by technique", title_justify="left")
    table.add_column("technique")
    table.add_column("spans", justify="right")
    table.add_column("share", justify="right")
    table.add_column("median length", justify="right")
    for name, row in stats["by_technique"].items():
        table.add_row(name, f"{row['spans']:,}", f"{row['share']:.1%}", f"{row['median_length']:.0f}")
    console.print(table)
    if stats["span_length"]:
        lengths = Table(title="Span length in characters", title_justify="left")
        for key in stats["span_length"]:
            lengths.add_column(key, justify="right")
        lengths.add_row(*(f"{value:.0f}" for value in stats["span_length"].values()))
        console.print(lengths)


@app.command("techniques")
def list_techniques(
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts.")] = (
        OutputFormat.table
    ),
) -> None:
    """List the 14 techniques propscope detects, with definitions and examples."""
    if output_format is OutputFormat.json:
        _print_json([t.__dict__ for t in techniques.TECHNIQUES])
        return
    table = Table(show_lines=True)
    table.add_column("technique (label name)")
    table.add_column("what it is")
    table.add_column("example")
    for t in techniques.TECHNIQUES:
        table.add_row(f"[bold {t.colour}]{t.title}[/]\n{t.name}", t.definition, f"“{t.example}”")
    console.print(table)


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Folder to write the trained model into.")],
    base: Annotated[
        str,
        typer.Option(
            help="Encoder: a Hugging Face model folder or hub name; 'minilm' is the packaged all-MiniLM-L6-v2."
        ),
    ] = "minilm",
    train_dir: Annotated[
        Path | None, typer.Option(help="PTC training folder. Default: <PROPSCOPE_PTC_DIR>/train.")
    ] = None,
    dev_dir: Annotated[
        Path | None, typer.Option(help="PTC dev folder for selection. Default: <PROPSCOPE_PTC_DIR>/dev.")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 3,
    learning_rate: Annotated[float, typer.Option(help="Peak AdamW learning rate (linear warm-up and decay).")] = 8e-5,
    batch_size: Annotated[int, typer.Option(min=1, help="Windows per optimisation step.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed for shuffling and initialisation; runs are reproducible.")] = 13,
    limit_articles: Annotated[
        int | None, typer.Option(min=1, help="Use only the first N articles of each split (smoke tests).")
    ] = None,
) -> None:
    """Fine-tune an encoder on PTC train, select the best epoch and thresholds on dev, export ONNX.

    Needs the training extra (pip install 'propscope[train]'). Progress is logged to stderr and
    to OUT/train.log; the best epoch is kept in OUT/checkpoint.pt.

    Example: propscope train --out runs/minilm --epochs 3 --seed 13
    """
    import logging

    from propscope.train.loop import TrainConfig
    from propscope.train.loop import train as run_training

    settings = Settings()
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(out / "train.log")],
    )
    config = TrainConfig(
        base=base,
        train_dir=str(train_dir or settings.ptc_dir / "train"),
        dev_dir=str(dev_dir or settings.ptc_dir / "dev"),
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        seed=seed,
        limit_articles=limit_articles,
    )
    summary = run_training(config, out)
    _print_json(
        {
            "thresholds": summary["thresholds"],
            "dev": {k: summary["dev"][k]["f1"] for k in ("si", "tc", "flc", "sentence")},
        }
    )


@app.command()
def ship(
    trained: Annotated[Path, typer.Argument(help="A model folder written by 'propscope train'.")],
    out: Annotated[Path, typer.Option(help="Where to write the model that ships.")] = Path(
        "src/propscope/models/propscope-minilm"
    ),
    dev_dir: Annotated[Path | None, typer.Option(help="PTC dev folder. Default: <PROPSCOPE_PTC_DIR>/dev.")] = None,
) -> None:
    """Quantise a trained model to int8, tune thresholds on dev for it, and write its model card.

    int8 is kept only when its dev SI and TC F1 stay within 0.01 of fp32; otherwise fp32 ships.

    Example: propscope ship runs/minilm --out src/propscope/models/propscope-minilm
    """
    import logging

    from propscope.train.quantize import ship as ship_model

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    description = ship_model(trained, out, dev_dir or Settings().ptc_dir / "dev", out.name)
    _print_json({"precision": description["precision"], "variants": description["variants"]})


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a file path, sqlite:///file.db or postgresql+psycopg://user:pw@host/db. "
        "Default: PROPSCOPE_DB, else propscope.db here.",
    ),
]


@app.command()
def batch(
    sources: Annotated[
        list[str],
        typer.Argument(help="Folders of .txt/.html files, PTC folders, JSONL files of articles with metadata, URLs."),
    ],
    db: DatabaseOption = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes analysing in parallel on this machine.")] = 1,
    threshold: ThresholdOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
    engine: Annotated[
        Engine, typer.Option(help="local: this machine; ray: Ray Data on a Ray cluster (pip install 'propscope[ray]').")
    ] = Engine.local,
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray: 'auto' (the cluster this machine belongs to) or ray://host:10001. Default: start Ray here."
        ),
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="Ray: folder or URI (s3://...) for the Parquet output, written by shard.")
    ] = None,
    actors: Annotated[
        int | None, typer.Option(min=1, help="Ray: analysing actors. Default: cluster CPUs / CPUs per actor.")
    ] = None,
    cpus_per_actor: Annotated[int, typer.Option(min=1, help="Ray: CPU cores (ONNX Runtime threads) per actor.")] = 1,
    batch_size: Annotated[int, typer.Option(min=1, help="Ray: articles per map_batches call.")] = 16,
) -> None:
    """Analyse a corpus into a database: resumable, one analysis per article and model.

    Texts already analysed by the same model (same content hash) are skipped, so a run that
    was interrupted resumes where it stopped; a new model adds its analyses beside the old.
    A JSONL line is one article: id, text or html, and optionally title, source (or outlet),
    author, published (ISO date) and url. Examples:

      propscope batch articles/ --db corpus.db --workers 2

      propscope batch feed.jsonl --db postgresql+psycopg://me@localhost/news

      propscope batch s3://bucket/news/2024-05/ --engine ray --address auto --out s3://bucket/propscope/2024-05

    With --engine ray, Ray Data reads JSONL, Parquet or .txt/.html files (local or any pyarrow
    file system), a pool of actors analyses them, and Parquet tables (articles with nested spans,
    and spans) are written by shard to --out; a rerun skips finished shards. Give --db as well
    to load the results into the database afterwards.
    """
    settings = Settings()
    if engine is Engine.ray:
        _batch_on_ray(sources, db, out, address, actors, cpus_per_actor, batch_size, threshold, model, max_chars)
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from propscope.formats.corpus import read_corpus
    from propscope.store.batch import BatchOptions, run_batch
    from propscope.store.database import open_database

    database = open_database(db or settings.db)
    policy = settings.fetch_policy()
    articles = [article for source in sources for article in read_corpus(source, policy)]
    options = BatchOptions(
        model=model or settings.model,
        threshold=threshold,
        max_chars=max_chars or settings.max_chars,
        workers=workers,
    )
    columns = (
        TextColumn("[bold]analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=error_console, transient=False) as bar:
        task = bar.add_task("batch", total=len(articles), rate="")

        def advance(count: int) -> None:
            bar.advance(task, count)
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed:.1f} articles/s" if speed else "")

        summary = run_batch(database, articles, options, advance)
    error_console.print(
        f"run {summary.run_id} ({summary.model_id}): {summary.analysed} analysed, {summary.skipped} already stored, "
        f"{summary.spans} spans, {summary.seconds:.1f} s",
        soft_wrap=True,
    )


def _batch_on_ray(
    sources: list[str],
    db: str | None,
    out: str | None,
    address: str | None,
    actors: int | None,
    cpus_per_actor: int,
    batch_size: int,
    threshold: float | None,
    model: Path | None,
    max_chars: int | None,
) -> None:
    try:
        from propscope.scale.ray_engine import RayOptions, read_analyses, run_ray
    except ModuleNotFoundError as error:
        raise InputError(
            f"the Ray engine needs {error.name!r}: pip install 'propscope[ray]'", path="--engine ray"
        ) from None
    if out is None:
        raise typer.BadParameter("the Ray engine writes Parquet: give --out DIR (or a URI)", param_hint="--out")
    settings = Settings()
    chosen_model = model or settings.model
    options = RayOptions(
        out=out,
        address=address,
        actors=actors,
        cpus_per_actor=cpus_per_actor,
        batch_size=batch_size,
        model=str(chosen_model) if chosen_model else None,
        threshold=threshold,
        max_chars=max_chars or settings.max_chars,
    )
    summary = run_ray(sources, options)
    error_console.print(
        f"ray: {summary['shards_done']} shard(s) analysed, {summary['shards_skipped']} already done, "
        f"{summary['articles']} articles, {summary['spans']} spans, {summary['seconds']:.1f} s, "
        f"{len(summary['failures'])} failure(s); output in {out}",
        soft_wrap=True,
    )
    if summary["failures"]:
        raise InputError(f"{summary['failures'][0]['error']}; rerun to retry the unfinished shards", path=out)
    if db is not None:
        from propscope.store.batch import load_analyses
        from propscope.store.database import open_database

        loaded = load_analyses(
            open_database(db), read_analyses(out), summary["model_id"], summary["settings"] | {"engine": "ray"}
        )
        error_console.print(
            f"run {loaded.run_id}: loaded {loaded.analysed} analyses into the database, {loaded.skipped} already there",
            soft_wrap=True,
        )


class GroupBy(StrEnum):
    outlet = "outlet"
    author = "author"
    month = "month"
    technique = "technique"


class StatsFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


SinceOption = Annotated[str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option(help="Only articles published on or before this date (YYYY-MM-DD).")]
SourceOption = Annotated[str | None, typer.Option("--source", help="Only this outlet.")]
ModelIdOption = Annotated[
    str | None, typer.Option("--model-id", help="Analyses of this model id. Default: the newest model in the database.")
]


def _filters(since: str | None, until: str | None, source: str | None, model_id: str | None) -> Any:
    import datetime as dt

    from propscope.store.queries import Filters

    def day(value: str | None, name: str) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD", param_hint=name) from None

    return Filters(since=day(since, "--since"), until=day(until, "--until"), source=source, model_id=model_id)


@app.command()
def stats(
    by: Annotated[GroupBy, typer.Option(help="Group articles by outlet, author or month, or count techniques.")] = (
        GroupBy.outlet
    ),
    db: DatabaseOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    model_id: ModelIdOption = None,
    passages: Annotated[int, typer.Option(min=0, help="How many of the most-flagged passages to list.")] = 10,
    output_format: Annotated[StatsFormat, typer.Option("--format", help="table for people; csv or json.")] = (
        StatsFormat.table
    ),
) -> None:
    """Statistics of a corpus database: articles, propaganda share, techniques per 1,000 words.

    propaganda share = flagged sentences / sentences; techniques per 1,000 words = spans per
    1,000 words of text. Examples:

      propscope stats --db corpus.db --by outlet

      propscope stats --by month --source "Example Gazette" --since 2024-01-01 --format csv
    """
    from sqlalchemy.orm import Session

    from propscope.store.database import open_database
    from propscope.store.queries import facts, statistics, top_passages

    engine = open_database(db or Settings().db)
    filters = _filters(since, until, source, model_id)
    with Session(engine) as session:
        rows = statistics(facts(session, filters), by.value)
        best = top_passages(session, filters, passages) if passages else []
    if output_format is StatsFormat.json:
        _print_json({"by": by.value, "groups": rows, "top_passages": best})
    elif output_format is StatsFormat.csv:
        _write_csv([_flat(row) for row in rows])
    else:
        _print_stats(by.value, rows, best)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV-friendly row: the top techniques as one 'name (count); ...' cell."""
    if "top_techniques" not in row:
        return row
    top = "; ".join(f"{t['technique']} ({t['spans']})" for t in row["top_techniques"])
    return {**row, "top_techniques": top}


def _write_csv(rows: list[dict[str, Any]]) -> None:
    import csv

    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _print_stats(by: str, rows: list[dict[str, Any]], best: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("No analyses match; run 'propscope batch' first or loosen the filters.")
        return
    table = Table(title=f"By {by}", title_justify="left")
    for column in rows[0]:
        table.add_column(column.replace("_", " "), justify="left" if column in (by, "top_techniques") else "right")
    for row in rows:
        cells = _flat(row)
        table.add_row(*(f"{v:.1%}" if k == "propaganda_share" else str(v) for k, v in cells.items()))
    console.print(table)
    if best:
        passages = Table(title="Most-flagged passages", title_justify="left")
        for column in ("score", "technique", "passage", "article", "source"):
            passages.add_column(column, justify="right" if column == "score" else "left")
        for item in best:
            passages.add_row(
                f"{item['score']:.2f}", item["technique"], item["passage"][:120], item["article"][:60], item["source"]
            )
        console.print(passages)


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    ptc = "ptc"
    csv = "csv"


@app.command()
def export(
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl: analyses; ptc: label rows; csv: one row per span.")
    ] = ExportFormat.jsonl,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write. Default: standard output.")] = (
        None
    ),
    db: DatabaseOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    model_id: ModelIdOption = None,
) -> None:
    """Export stored analyses: JSON Lines (as 'analyze --format jsonl'), PTC labels or CSV of spans.

    Example: propscope export --db corpus.db --format csv -o spans.csv
    """
    import csv
    import io

    from sqlalchemy.orm import Session

    from propscope.formats.files import atomic_write_text
    from propscope.formats.ptc import format_tc_labels
    from propscope.store.database import open_database
    from propscope.store.queries import stored_analyses

    engine = open_database(db or Settings().db)
    buffer = io.StringIO()
    with Session(engine) as session:
        analyses = stored_analyses(session, _filters(since, until, source, model_id))
        if output_format is ExportFormat.csv:
            fields = ["article_id", "title", "source", "published", "technique", "start", "end", "score", "text"]
            writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
        for analysis in analyses:
            if output_format is ExportFormat.jsonl:
                buffer.write(json.dumps(analysis.to_dict(), ensure_ascii=False) + "\n")
            elif output_format is ExportFormat.ptc:
                buffer.write(format_tc_labels({analysis.article.id: analysis.spans}))
            else:
                a = analysis.article
                for span in analysis.spans:
                    writer.writerow(
                        {
                            "article_id": a.id,
                            "title": a.title,
                            "source": a.source,
                            "published": a.published.isoformat() if a.published else "",
                            "technique": span.technique,
                            "start": span.start,
                            "end": span.end,
                            "score": span.score,
                            "text": span.text_in(a),
                        }
                    )
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        atomic_write_text(output, buffer.getvalue())


@app.command()
def dashboard(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    db: DatabaseOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    source: SourceOption = None,
    model_id: ModelIdOption = None,
    articles: Annotated[int, typer.Option(min=0, help="How many articles to list (highest score first).")] = 200,
) -> None:
    """Write a dashboard of the corpus: charts per outlet and over time, plus the articles.

    One self-contained HTML file (plotly.js inlined). Each listed article links to its
    highlighted view, written as <OUTPUT name>-articles/<id>.html next to it. Example:

      propscope dashboard --db corpus.db -o dashboard.html
    """
    from sqlalchemy.orm import Session

    from propscope.formats.files import atomic_write_text
    from propscope.report.dashboard import render_dashboard
    from propscope.report.html import render_report
    from propscope.store.database import open_database
    from propscope.store.queries import article_analysis, facts, top_passages

    engine = open_database(db or Settings().db)
    filters = _filters(since, until, source, model_id)
    views = output.parent / f"{output.stem}-articles"
    with Session(engine) as session:
        found = facts(session, filters)
        listed = sorted(found, key=lambda f: (-f.score, f.article_id))[:articles]
        for fact in listed:
            analysis = article_analysis(session, fact.article_id, filters.model_id)
            if analysis is not None:
                atomic_write_text(views / f"{fact.article_id}.html", render_report([analysis]))
        page = render_dashboard(
            found,
            top_passages(session, filters),
            lambda article_id: f"{views.name}/{article_id}.html",
            article_limit=articles,
        )
    atomic_write_text(output, page)
    error_console.print(
        f"wrote {output} ({len(found)} articles) and {len(listed)} article views in {views}/", soft_wrap=True
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 makes it reachable from other machines.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    model: ModelOption = None,
    db: DatabaseOption = None,
) -> None:
    """Serve the web page and the REST API (FastAPI) with the model loaded once.

    Open http://127.0.0.1:8000/ to paste an article, upload a file or give a URL; the API is
    under /api/v1 and described at /openapi.json; /corpus shows the dashboard of the corpus
    database (--db) with filters by outlet, technique and date. Limits (body size, text length, concurrency,
    time) are set with PROPSCOPE_API_* environment variables; see the README.

    Example: propscope serve --port 8000
    """
    import uvicorn

    from propscope.server.app import create_app

    settings = Settings()
    updates = {"model": model, "db": db}
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    application = create_app(settings)
    error_console.print(f"propscope: serving on http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 1."""
    try:
        app()
    except InputError as error:
        if _debug["enabled"]:
            raise
        error_console.print(f"error: {error}", soft_wrap=True)
        raise SystemExit(1) from None
    except OSError as error:
        if _debug["enabled"]:
            raise
        error_console.print(f"error: {error.filename or ''}: {error.strerror}", soft_wrap=True)
        raise SystemExit(1) from None
