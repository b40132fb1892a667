"""Commands for a corpus in a database: batch, stats, export, dashboard."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from propscope.cli.common import (
    DatabaseOption,
    MaxCharsOption,
    ModelIdOption,
    ModelOption,
    SchemeOption,
    SinceOption,
    SourceOption,
    TechniquesOption,
    ThresholdOption,
    UntilOption,
    console,
    detector_config,
    error_console,
    print_json,
    state,
)

if TYPE_CHECKING:
    from propscope.detect.model import DetectorConfig
    from propscope.store.queries import Filters


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class GroupBy(StrEnum):
    outlet = "outlet"
    author = "author"
    month = "month"
    technique = "technique"
    genre = "genre"
    frame = "frame"


class StatsFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    ptc = "ptc"
    csv = "csv"
    label_studio = "label-studio"


def filters(
    since: str | None, until: str | None, source: str | None, model_id: str | None, technique: str | None = None
) -> Filters:
    """The query filters, parsed as the web pages parse them; a bad date is wrong usage."""
    from propscope.store.queries import Filters

    try:
        return Filters.parse(since=since, until=until, source=source, technique=technique, model_id=model_id)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise typer.BadParameter(message, param_hint=f"--{field}") from None


def batch(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(help="Article files or folders of them (.txt .html .jsonl .json .parquet), PTC folders, URLs."),
    ],
    db: DatabaseOption = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes analysing in parallel on this machine.")] = 1,
    threshold: ThresholdOption = None,
    only: TechniquesOption = None,
    model: ModelOption = None,
    max_chars: MaxCharsOption = None,
    scheme: SchemeOption = None,
    engine: Annotated[
        Engine,
        typer.Option(help="local: this machine; ray: Ray Data on a Ray cluster (pip install 'propscope\\[ray]')."),
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
    verbose: Annotated[bool, typer.Option(help="Ray: show Ray's own log lines and progress bars.")] = False,
) -> None:
    """Analyse a corpus into a database: resumable, one analysis per article and model.

    Texts already analysed by the same model (same content hash) are skipped, so a run that
    was interrupted resumes where it stopped; a new model adds its analyses beside the old.
    Two runs on one database share the work: each article is stored once. A record is one
    article: id, text or html, and optionally title, source (or outlet), author, published
    (ISO date) and url. Examples:

      propscope batch articles/ --db corpus.db --workers 2

      propscope batch feed.jsonl --db postgresql+psycopg://me@localhost/news

      propscope batch s3://bucket/news/2024-05/ --engine ray --address auto --out s3://bucket/propscope/2024-05

    With --engine ray, Ray Data reads the same kinds of files (local or any pyarrow file
    system), a pool of actors analyses them, and Parquet tables (articles with nested spans,
    and spans) are written by shard to --out; a rerun skips finished shards. Give --db as well
    to load the results into the database afterwards.
    """
    settings = state(ctx).settings
    config = detector_config(ctx, model, threshold, only, max_chars, scheme)
    if engine is Engine.ray:
        batch_on_ray(sources, db, out, config, address, actors, cpus_per_actor, batch_size, verbose)
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from propscope.formats.inputs import read_articles
    from propscope.store.batch import BatchOptions, run_batch
    from propscope.store.database import open_database

    database = open_database(db or settings.db)
    policy = settings.fetch_policy()
    articles = [article for source in sources for article in read_articles(source, policy)]
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

        summary = run_batch(database, articles, BatchOptions(config, workers), advance)
    error_console.print(
        f"run {summary.run_id} ({summary.model_id}): {summary.analysed} analysed, {summary.skipped} already stored, "
        f"{summary.spans} spans, {summary.seconds:.1f} s",
        soft_wrap=True,
    )


def batch_on_ray(
    sources: list[str],
    db: str | None,
    out: str | None,
    config: DetectorConfig,
    address: str | None,
    actors: int | None,
    cpus_per_actor: int,
    batch_size: int,
    verbose: bool,
) -> None:
    from propscope.errors import InputError

    try:
        from propscope.scale.ray_engine import RayOptions, read_analyses, run_ray
    except ModuleNotFoundError as error:
        raise InputError(
            f"the Ray engine needs {error.name!r}: pip install 'propscope[ray]'", path="--engine ray"
        ) from None
    if out is None:
        raise typer.BadParameter("the Ray engine writes Parquet: give --out DIR (or a URI)", param_hint="--out")
    options = RayOptions(
        out=out,
        detector=config,
        address=address,
        actors=actors,
        cpus_per_actor=cpus_per_actor,
        batch_size=batch_size,
        verbose=verbose,
    )
    summary = run_ray(sources, options)
    error_console.print(
        f"ray: {summary.shards_done} shard(s) analysed, {summary.shards_skipped} already done, "
        f"{summary.analysed} articles, {summary.spans} spans, {summary.seconds:.1f} s, "
        f"{len(summary.failures)} failure(s); output in {out}",
        soft_wrap=True,
    )
    if summary.failures:
        raise InputError(f"{summary.failures[0].error}; rerun to retry the unfinished shards", path=out)
    if db is not None:
        from propscope.store.batch import load_analyses
        from propscope.store.database import open_database

        loaded = load_analyses(open_database(db), read_analyses(out), summary.model_id, dict(summary.settings))
        error_console.print(
            f"run {loaded.run_id}: loaded {loaded.analysed} analyses into the database, {loaded.skipped} already there",
            soft_wrap=True,
        )


def stats(
    ctx: typer.Context,
    by: Annotated[
        GroupBy,
        typer.Option(
            help="Group articles by outlet, author, month, genre or frame (SemEval-2023 analyses), or count techniques."
        ),
    ] = GroupBy.outlet,
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
    from propscope.formats.csv_rows import stats_csv_row, to_csv
    from propscope.report.terminal import stats_tables
    from propscope.store.corpus import Corpus

    corpus = Corpus.open(db or state(ctx).settings.db)
    chosen = filters(since, until, source, model_id)
    rows = corpus.statistics(by.value, chosen)
    best = corpus.top_passages(chosen, passages) if passages else []
    if output_format is StatsFormat.json:
        print_json(
            {"by": by.value, "groups": [row.to_dict() for row in rows], "top_passages": [p.to_dict() for p in best]}
        )
    elif output_format is StatsFormat.csv:
        sys.stdout.write(to_csv(stats_csv_row(row) for row in rows))
    elif not rows:
        console.print("No analyses match; run 'propscope batch' first or loosen the filters.")
    else:
        for table in stats_tables(by.value, rows, best):
            console.print(table)


def export(
    ctx: typer.Context,
    output_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="jsonl: analyses; ptc: label rows; csv: one row per span; "
            "label-studio: tasks with the spans as pre-annotations.",
        ),
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
    """Export stored analyses: JSON Lines (as 'analyze --format jsonl'), PTC labels, CSV of spans,
    or Label Studio tasks for human review.

    Example: propscope export --db corpus.db --format csv -o spans.csv
    """
    from propscope.formats.csv_rows import SPAN_FIELDS, span_rows, to_csv
    from propscope.formats.files import atomic_write_text
    from propscope.formats.jsonl import dumps_jsonl
    from propscope.formats.label_studio import dumps_tasks
    from propscope.formats.ptc import format_tc_labels
    from propscope.store.corpus import Corpus

    analyses = list(Corpus.open(db or state(ctx).settings.db).analyses(filters(since, until, source, model_id)))
    if output_format is ExportFormat.jsonl:
        text = dumps_jsonl(analyses)
    elif output_format is ExportFormat.ptc:
        text = format_tc_labels({a.article.id: a.spans for a in analyses})
    elif output_format is ExportFormat.label_studio:
        text = dumps_tasks(analyses)
    else:
        text = to_csv(span_rows(analyses), SPAN_FIELDS)
    if output is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(output, text)


def dashboard(
    ctx: typer.Context,
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
    from propscope.formats.files import atomic_write_text
    from propscope.report.dashboard import listed_articles, render_dashboard
    from propscope.report.html import render_report
    from propscope.store.corpus import Corpus

    corpus = Corpus.open(db or state(ctx).settings.db)
    chosen = filters(since, until, source, model_id)
    views = output.parent / f"{output.stem}-articles"
    found = corpus.facts(chosen)
    listed = listed_articles(found, articles)
    for fact in listed:
        analysis = corpus.article_analysis(fact.article_id, chosen.model_id)
        if analysis is not None:
            atomic_write_text(views / f"{fact.article_id}.html", render_report([analysis]))
    page = render_dashboard(
        found, corpus.top_passages(chosen), lambda article_id: f"{views.name}/{article_id}.html", article_limit=articles
    )
    atomic_write_text(output, page)
    error_console.print(
        f"wrote {output} ({len(found)} articles) and {len(listed)} article views in {views}/", soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    app.command()(batch)
    app.command()(stats)
    app.command()(export)
    app.command()(dashboard)
