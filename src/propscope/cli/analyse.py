"""Commands that analyse articles and show the result: analyze, report, techniques."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from propscope import techniques
from propscope.cli.common import (
    MaxCharsOption,
    ModelOption,
    SchemeOption,
    TechniquesOption,
    ThresholdOption,
    console,
    detector_config,
    error_console,
    print_json,
    progress_over,
    state,
    warn,
)

if TYPE_CHECKING:
    from propscope.article import Analysis


class AnalyzeFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    ptc = "ptc"
    label_studio = "label-studio"
    subtask1 = "subtask1"
    subtask2 = "subtask2"
    subtask3 = "subtask3"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


SourcesArgument = Annotated[
    list[str],
    typer.Argument(
        help="Article files (.txt, .html, .jsonl/.json records, .parquet), folders of them, PTC folders, "
        "http(s) URLs, or - for standard input."
    ),
]


def analyses(
    ctx: typer.Context,
    sources: list[str],
    threshold: float | None,
    only: list[str] | None,
    model: Path | None,
    max_chars: int | None,
    scheme: str | None,
    *,
    keep_saved: bool = False,
) -> Iterator[Analysis]:
    """Analyse every article of every source lazily, in the order given. With `keep_saved`,
    analyses saved earlier (in .json/.jsonl files) are shown as they are, narrowed to the
    threshold and techniques asked for; otherwise their articles are analysed again."""
    from propscope.article import Analysis, Article
    from propscope.detect.model import Detector
    from propscope.formats.inputs import read_source

    settings = state(ctx).settings
    config = detector_config(ctx, model, threshold, only, max_chars, scheme)
    detector: Detector | None = None
    for source in sources:
        for item in read_source(source, settings.fetch_policy()):
            if isinstance(item, Analysis) and keep_saved:
                yield item.restricted(threshold=threshold, techniques=config.techniques)
                continue
            article: Article = item.article if isinstance(item, Analysis) else item
            if not article.text.strip():
                warn(f"{article.id}: the text is empty; nothing was analysed")
            detector = detector or config.load()
            yield detector.analyze(article)


def analyze(
    ctx: typer.Context,
    sources: SourcesArgument,
    output_format: Annotated[
        AnalyzeFormat,
        typer.Option(
            "--format",
            help="text: highlighted view; json/jsonl: analyses; ptc: span rows (id, technique, start, end); "
            "label-studio: tasks with the spans as pre-annotations; subtask1/2/3: SemEval-2023 rows of genre, "
            "frames and techniques per paragraph (with --scheme semeval2023).",
        ),
    ] = AnalyzeFormat.text,
    threshold: ThresholdOption = None,
    only: TechniquesOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
    scheme: SchemeOption = None,
) -> None:
    """Find propaganda techniques in articles with the shipped model (offline, CPU).

    Prints each article with its technique spans highlighted and a summary per technique, or
    machine formats with --format. Examples:

      propscope analyze examples/editorial.txt

      cat article.txt | propscope analyze - --format json

      propscope analyze articles/ --format ptc > predictions.labels
    """
    from propscope.formats.jsonl import dumps_json
    from propscope.formats.label_studio import dumps_tasks
    from propscope.formats.ptc import format_tc_labels
    from propscope.formats.semeval2023 import subtask_rows
    from propscope.report.terminal import render

    found = progress_over(analyses(ctx, sources, threshold, only, model, max_chars, scheme), "analysing")
    if output_format is AnalyzeFormat.json:
        sys.stdout.write(dumps_json(list(found)))
    elif output_format is AnalyzeFormat.label_studio:
        sys.stdout.write(dumps_tasks(list(found)))
    elif output_format is AnalyzeFormat.jsonl:
        for analysis in found:
            sys.stdout.write(analysis.to_json() + "\n")
    elif output_format is AnalyzeFormat.ptc:
        for analysis in found:
            sys.stdout.write(format_tc_labels({analysis.article.id: analysis.spans}))
    elif output_format in (AnalyzeFormat.subtask1, AnalyzeFormat.subtask2, AnalyzeFormat.subtask3):
        for analysis in found:
            sys.stdout.write(subtask_rows(analysis, int(output_format.value[-1])))
    else:
        for analysis in found:
            render(analysis, console)


def report(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Articles as for 'analyze' (files, folders, URLs, -), or analyses saved by "
            "'propscope analyze --format json/jsonl' (shown as saved, narrowed by --threshold and --techniques)."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    title: Annotated[str | None, typer.Option(help="Page title. Default: the article's title.")] = None,
    threshold: ThresholdOption = None,
    only: TechniquesOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
    scheme: SchemeOption = None,
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

    found = list(
        progress_over(analyses(ctx, sources, threshold, only, model, max_chars, scheme, keep_saved=True), "analysing")
    )
    if not found:
        warn("no articles in the input; the report is empty")
    atomic_write_text(output, render_report(found, title=title))
    spans = sum(len(analysis.spans) for analysis in found)
    error_console.print(f"wrote {output}: {len(found)} article(s), {spans} span(s)")


def list_techniques(
    output_format: Annotated[ListFormat, typer.Option("--format", help="table for people, json for scripts.")] = (
        ListFormat.table
    ),
    scheme: Annotated[
        str, typer.Option(help="Which taxonomy: semeval2020 (PTC, 14 techniques) or semeval2023 (23).")
    ] = techniques.DEFAULT_SCHEME,
) -> None:
    """List the techniques propscope detects, with definitions and examples."""
    from propscope.report.terminal import techniques_table

    try:
        chosen = techniques.scheme(scheme)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scheme") from None
    if output_format is ListFormat.json:
        print_json([t.__dict__ for t in chosen.techniques])
        return
    console.print(techniques_table(chosen))


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command()(report)
    app.command("techniques")(list_techniques)
