"""The terminal view of an analysis: the text with highlighted spans and a per-technique summary.

Rich decides whether to use colour (only on a terminal); without colour each span is still
visible, marked with [[ ]] and a number that the legend explains.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from propscope import techniques
from propscope.article import Analysis, Span


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
        colour = techniques.get(span.technique).colour
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
            Text(techniques.get(name).title, style=techniques.get(name).colour),
            str(count),
            f"{best[name]:.2f}",
            Text(example.text_in(analysis.article)[:80]),
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
