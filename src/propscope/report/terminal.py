"""The terminal view of an analysis: the text with highlighted spans and a per-technique summary.

Rich decides whether to use colour (only on a terminal); without colour each span is still
visible, marked with [[ ]] and a number that the legend explains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from propscope import techniques
from propscope.article import Analysis, Span
from propscope.evaluation import Evaluation, FlcScores, opinion_reporting_f1
from propscope.formats.csv_rows import stats_csv_row

if TYPE_CHECKING:
    from propscope.datastats import CorpusStats
    from propscope.store.queries import Passage, StatsRow


def highlighted_text(analysis: Analysis, plain: bool) -> Text:
    """The article text; each character inside a span gets the colour of its best-scored span."""
    text = Text(analysis.article.text)
    if plain:
        marked = Text()
        cursor = 0
        for number, span in enumerate(_outermost(analysis), start=1):
            marked.append(analysis.article.text[cursor : span.start])
            marked.append(f"[[{analysis.article.text[span.start : span.end]}]]({number})")
            cursor = span.end
        marked.append(analysis.article.text[cursor:])
        return marked
    for span in sorted(analysis.spans, key=lambda s: s.score):
        colour = techniques.describe(span.technique).colour
        text.stylize(f"bold underline {colour}", span.start, span.end)
    return text


def _outermost(analysis: Analysis) -> list[Span]:
    """Non-overlapping spans for the plain view: the earliest, then longest, wins."""
    chosen: list[Span] = []
    reach = 0
    for span in sorted(analysis.spans, key=lambda s: (s.start, -s.end)):
        if span.start >= reach:
            chosen.append(span)
            reach = span.end
    return chosen


def clipped(text: str, width: int) -> str:
    """`text` cut to at most `width` characters at a word's end, with an ellipsis when cut: a
    table cell should not end inside a word ("safe agai"), which reads as a typo in the article."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = text[: width - 1]
    if text[width - 1] != " " and " " in head:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:") + "…"


def summary_table(analysis: Analysis) -> Table:
    counts = Counter(span.technique for span in analysis.spans)
    best: dict[str, float] = {}
    for span in analysis.spans:
        best[span.technique] = max(best.get(span.technique, 0.0), span.score)
    table = Table(title="Techniques found", title_justify="left")
    table.add_column("technique")
    table.add_column("spans", justify="right")
    table.add_column("top score", justify="right")
    table.add_column("example")
    for name, count in counts.most_common():
        example = max((s for s in analysis.spans if s.technique == name), key=lambda s: s.score)
        table.add_row(
            Text(techniques.describe(name).title, style=techniques.describe(name).colour),
            str(count),
            f"{best[name]:.2f}",
            Text(clipped(example.text_in(analysis.article), 80)),
        )
    return table


def render(analysis: Analysis, console: Console) -> None:
    """Print one analysis: header, highlighted text, summary."""
    plain = not console.is_terminal or console.no_color
    header = Text.assemble(
        (analysis.article.title or analysis.article.id, "bold"),
        f"\npropaganda score {analysis.score:.2f} · {analysis.covered_share:.0%} of the text inside techniques · "
        f"{sum(s.flagged for s in analysis.sentences)}/{len(analysis.sentences)} sentences flagged · "
        f"model {analysis.model_id}",
        *article_level(analysis),
    )
    console.print(Panel(Group(header, Text(""), highlighted_text(analysis, plain))))
    if analysis.spans:
        if plain:
            legend = Table(title="Marked passages", title_justify="left")
            legend.add_column("#", justify="right")
            legend.add_column("technique")
            legend.add_column("score", justify="right")
            for number, span in enumerate(_outermost(analysis), start=1):
                names = sorted({s.technique for s in analysis.spans if s.start < span.end and span.start < s.end})
                legend.add_row(str(number), ", ".join(names), f"{span.score:.2f}")
            console.print(legend)
        console.print(summary_table(analysis))
    else:
        console.print("No propaganda techniques found.")


def article_level(analysis: Analysis) -> list[str]:
    """The genre and frames lines of the header, for models that predict them."""
    lines = []
    if analysis.genre is not None:
        probability = analysis.genre.probabilities.get(analysis.genre.label)
        shown = f" ({probability:.2f})" if probability is not None else ""
        lines.append(f"\ngenre {analysis.genre.label}{shown}")
    if analysis.frames is not None:
        framed = ", ".join(
            f"{name} {analysis.frames.scores[name]:.2f}" if name in analysis.frames.scores else name
            for name in analysis.frames.labels
        )
        lines.append(f"\nframes {framed or 'none above the threshold'}")
    return lines


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def evaluation_tables(evaluation: Evaluation, names: Sequence[str] = techniques.TECHNIQUE_NAMES) -> list[Table]:
    """The scores of `propscope evaluate`: one table per task group, per technique below."""
    overall = Table(title="Scores", title_justify="left")
    for column in ("task", "precision", "recall", "F1", "predicted", "gold"):
        overall.add_column(column, justify="left" if column == "task" else "right")
    for name in ("si", "flc", "sentence"):
        task = getattr(evaluation, name)
        if task is not None:
            prf = task.overall if isinstance(task, FlcScores) else task
            overall.add_row(
                name, _fmt(prf.precision), _fmt(prf.recall), _fmt(prf.f1), str(prf.predicted), str(prf.gold)
            )
    if evaluation.tc is not None:
        overall.add_row(
            "tc (micro)", "", "", _fmt(evaluation.tc.f1), str(evaluation.tc.spans), str(evaluation.tc.spans)
        )
    tables = ([overall] if overall.row_count else []) + _semeval2023_tables(evaluation)
    if evaluation.tc is None and evaluation.flc is None:
        return tables
    per = Table(title="Per technique", title_justify="left")
    per.add_column("technique", overflow="fold")
    scored = [(name, task) for name in ("tc", "flc") if (task := getattr(evaluation, name)) is not None]
    for name, _ in scored:
        per.add_column(f"{name} F1", justify="right")
    flags = evaluation.flags
    if flags is not None:  # how far a reader can trust each technique's flags
        for column in ("flags", "share overlapping gold", "mean score"):
            per.add_column(column, justify="right")
    for technique in names:
        cells = [_fmt(task.per_technique.get(technique, 0.0)) for _, task in scored]
        if flags is not None:
            counted = flags.get(technique)
            cells += [str(counted.flags), _fmt(counted.share), _fmt(counted.mean_score)] if counted else ["0", "", ""]
        per.add_row(technique, *cells)
    tables.append(per)
    return tables


def _semeval2023_tables(evaluation: Evaluation) -> list[Table]:
    """Subtasks 1-3 with the official measure of each in bold, and genre per label: with one
    satire article in dev, the three-genre macro-F1 alone hides how reporting fares."""
    tasks = [
        (title, scores, official)
        for title, scores, official in (
            ("genre (subtask 1)", evaluation.genre, "macro"),
            ("frames (subtask 2)", evaluation.frames, "micro"),
            ("techniques per paragraph (subtask 3)", evaluation.paragraphs, "micro"),
        )
        if scores is not None
    ]
    if not tasks:
        return []
    table = Table(title="SemEval-2023 subtasks (official measure in bold)", title_justify="left")
    for column in ("task", "micro-F1", "macro-F1", "items"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for title, scores, official in tasks:
        micro, macro = _fmt(scores.micro_f1), _fmt(scores.macro_f1)
        table.add_row(
            title,
            f"[bold]{micro}[/bold]" if official == "micro" else micro,
            f"[bold]{macro}[/bold]" if official == "macro" else macro,
            str(scores.items),
        )
    if evaluation.genre is None:
        return [table]
    genres = Table(title="Genre per label", title_justify="left")
    for column in ("genre", "F1", "recall"):
        genres.add_column(column, justify="left" if column == "genre" else "right")
    for label, f1 in evaluation.genre.per_label.items():
        genres.add_row(label, _fmt(f1), _fmt(evaluation.genre.recall.get(label, 0.0)))
    genres.add_row("opinion and reporting (macro)", _fmt(opinion_reporting_f1(evaluation.genre)), "")
    return [table, genres]


def corpus_tables(stats: CorpusStats) -> tuple[Text, list[Table]]:
    """`propscope data stats`: a summary line and the per-technique and length tables."""
    summary = Text.from_markup(
        f"[bold]{stats.folder}[/bold]: {stats.articles:,} articles "
        f"({stats.articles_without_spans} without spans), {stats.characters:,} characters, "
        f"{stats.technique_spans:,} technique spans, {stats.si_spans:,} SI spans"
    )
    table = Table(title="Spans by technique", title_justify="left")
    table.add_column("technique", overflow="fold")
    table.add_column("spans", justify="right")
    table.add_column("share", justify="right")
    table.add_column("median length", justify="right")
    for row in stats.by_technique:
        table.add_row(row.technique, f"{row.spans:,}", f"{row.share:.1%}", f"{row.median_length:.0f}")
    tables = [table]
    if stats.span_length:
        lengths = Table(title="Span length in characters", title_justify="left")
        for key in stats.span_length:
            lengths.add_column(key, justify="right")
        lengths.add_row(*(f"{value:.0f}" for value in stats.span_length.values()))
        tables.append(lengths)
    return summary, tables


def techniques_table(scheme: techniques.Scheme) -> Table:
    """`propscope techniques`: every technique with its label name (never cut), definition and example."""
    table = Table(show_lines=True, title=scheme.title, title_justify="left")
    longest = max(len(t.name) for t in scheme.techniques)
    table.add_column("technique (label name)", min_width=min(longest, 40), overflow="fold")
    table.add_column("what it is")
    table.add_column("example")
    for t in scheme.techniques:
        table.add_row(Text.assemble((t.title, f"bold {t.colour}"), "\n", t.name), t.definition, f"“{t.example}”")
    return table


def stats_tables(by: str, rows: Sequence[StatsRow], passages: Sequence[Passage]) -> list[Table]:
    """`propscope stats`: one row per group (or technique), then the most-flagged passages."""
    table = Table(title=f"By {by}", title_justify="left")
    dicts = [stats_csv_row(row) for row in rows]
    for column in ("genre_shares", "top_frames"):  # columns only SemEval-2023 analyses fill
        if all(not cells.get(column) for cells in dicts):
            for cells in dicts:
                cells.pop(column, None)
    for column in dicts[0]:
        table.add_column(column.replace("_", " "), justify="left" if column in (by, "top_techniques") else "right")
    for cells in dicts:
        table.add_row(*(f"{v:.1%}" if k == "propaganda_share" else str(v) for k, v in cells.items()))
    tables = [table]
    if passages:
        listed = Table(title="Most-flagged passages", title_justify="left")
        for column in ("score", "technique", "passage", "article", "source"):
            listed.add_column(column, justify="right" if column == "score" else "left")
        for item in passages:
            listed.add_row(
                f"{item.score:.2f}", item.technique, clipped(item.passage, 120), clipped(item.article, 60), item.source
            )
        tables.append(listed)
    return tables
