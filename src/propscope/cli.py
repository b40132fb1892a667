"""The `propscope` command line: Typer commands that read input, call the library and render.

Exit codes scripts can trust: 0 done, 1 an input could not be processed (one line on stderr
naming it), 2 wrong usage. Tracebacks appear only with `--debug`.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from propscope import __version__, techniques
from propscope.datastats import corpus_stats
from propscope.errors import InputError
from propscope.evaluation import evaluate as run_evaluation
from propscope.evaluation import load_gold, load_predictions
from propscope.formats.ptc import read_ptc_folder

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


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


class Task(str, Enum):
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


@app.command()
def evaluate(
    gold: Annotated[
        Path | None,
        typer.Option(help="Gold: a PTC folder (articles plus label files) or one SI/TC label file."),
    ] = None,
    pred: Annotated[
        Path | None,
        typer.Option(help="Predictions: an SI/TC label file, or analyses as .json/.jsonl."),
    ] = None,
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

    Example: propscope evaluate --gold ../shared/data/ptc-semeval2020/dev
    --pred ../shared/data/ptc-semeval2020/dev/dev-task-flc-tc.labels
    """
    if gold is None or pred is None:
        raise typer.BadParameter("give both --gold and --pred", param_hint="--gold/--pred")
    results = run_evaluation(load_gold(gold), load_predictions(pred), task.value if task else None)
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
            overall.add_row(name, _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["f1"]), str(r["predicted"]), str(r["gold"]))
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


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 1."""
    try:
        app()
    except InputError as error:
        if _debug["enabled"]:
            raise
        error_console.print(f"error: {error}")
        raise SystemExit(1) from None
    except OSError as error:
        if _debug["enabled"]:
            raise
        error_console.print(f"error: {error.filename or ''}: {error.strerror}")
        raise SystemExit(1) from None



