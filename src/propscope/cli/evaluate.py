"""Commands that score models and describe annotated data: evaluate, data stats."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from propscope import techniques
from propscope.cli.common import ModelOption, console, print_json, progress_over, state


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class Task(StrEnum):
    si = "si"
    tc = "tc"
    flc = "flc"
    sentence = "sentence"


data_app = typer.Typer(help="Inspect annotated corpora in the PTC layout.", no_args_is_help=True)


def evaluate(
    ctx: typer.Context,
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
    F1 of sentences flagged as containing any technique (needs a gold folder). Per technique,
    also its flags, the share of them overlapping any gold span and their mean score: how far
    a reader can trust that technique's flags.

    Without --pred the model is run over the gold folder (SI, FLC and sentence from its own
    spans; TC by classifying the gold spans, as in the SemEval TC subtask).

    Examples:

      propscope evaluate --split dev

      propscope evaluate --gold ../shared/data/ptc-semeval2020/dev
      --pred ../shared/data/ptc-semeval2020/dev/dev-task-flc-tc.labels
    """
    from propscope.evaluation import evaluate as score
    from propscope.evaluation import evaluate_model, load_gold, load_predictions
    from propscope.report.terminal import evaluation_tables

    settings = state(ctx).settings
    if pred is not None:
        if gold is None and split is not None:
            gold = settings.ptc_folder(split)
        if gold is None:
            raise typer.BadParameter("give --gold (a PTC folder or label file) or --split", param_hint="--gold/--split")
        result = score(load_gold(gold), load_predictions(pred), task.value if task else None)
        names = techniques.TECHNIQUE_NAMES
    else:
        from propscope.detect.runtime import ModelRuntime

        if gold is None and split is None:
            raise typer.BadParameter("give --gold (a PTC folder) or --split", param_hint="--gold/--split")
        runtime = ModelRuntime.load(model or settings.model)
        semeval2023 = runtime.scheme == techniques.SEMEVAL2023.name
        if gold is None:
            gold = settings.semeval2023_folder() if semeval2023 else settings.ptc_folder(split)
        result = evaluate_model(
            runtime,
            gold,
            split=split or "all",
            limit=limit,
            task=task.value if task else None,
            progress=lambda articles: progress_over(articles, "evaluating", len(articles)),
        )
        names = techniques.scheme(runtime.scheme).names
    if output_format is OutputFormat.json:
        print_json(result.to_dict())
        return
    for table in evaluation_tables(result, names):
        console.print(table)


def data_stats(
    folder: Annotated[Path, typer.Argument(help="A PTC folder: article<ID>.txt files plus label files.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts.")] = (
        OutputFormat.table
    ),
) -> None:
    """Count articles and technique spans, and describe span lengths, for a PTC folder.

    Example: propscope data stats ../shared/data/ptc-semeval2020/train
    """
    from propscope.datastats import corpus_stats
    from propscope.formats.ptc import read_ptc_folder
    from propscope.report.terminal import corpus_tables

    stats = corpus_stats(read_ptc_folder(folder))
    if output_format is OutputFormat.json:
        print_json(stats.to_dict())
        return
    summary, tables = corpus_tables(stats)
    console.print(summary)
    for table in tables:
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(evaluate)
    data_app.command("stats")(data_stats)
    app.add_typer(data_app, name="data")
