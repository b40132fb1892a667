"""The corpus dashboard: one HTML page of Plotly charts (plotly.js inlined) and an article list.

It is rendered from the same facts as `propscope stats`, so the numbers on the page and in the
terminal agree. Each listed article links to its highlighted view: a report file written next
to the dashboard by the CLI, or a page of the web app under /corpus.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import plotly.graph_objects as go
from markupsafe import Markup

from propscope import __version__, techniques
from propscope.report.html import jinja_environment
from propscope.store.queries import Fact, Passage, group_statistics, technique_statistics

MAX_OUTLETS = 12


def _technique(name: str) -> techniques.Technique | None:
    return next((s.get(name) for s in techniques.SCHEMES.values() if s.is_known(name)), None)


def _colour(name: str) -> str:
    found = _technique(name)
    return found.colour if found else "#888888"


def _title(name: str) -> str:
    found = _technique(name)
    return found.title if found else name


def technique_mix(facts: Sequence[Fact]) -> go.Figure:
    """Spans per 1,000 words of each technique, per outlet (the outlets with most articles)."""
    outlets = top_outlets(facts)
    words: Counter[str] = Counter()
    spans: dict[str, Counter[str]] = defaultdict(Counter)
    for fact in facts:
        words[fact.source] += fact.words
        spans[fact.source].update(fact.techniques)
    figure = go.Figure()
    present = {name for fact in facts for name in fact.techniques}
    names = dict.fromkeys(n for scheme in techniques.SCHEMES.values() for n in scheme.names if n in present)
    for name in names:
        values = [1000 * spans[o][name] / words[o] if words[o] else 0 for o in outlets]
        if any(values):
            figure.add_bar(name=_title(name), x=outlets, y=values, marker_color=_colour(name))
    figure.update_layout(
        barmode="stack",
        title="Technique mix per outlet",
        yaxis_title="spans per 1,000 words",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def top_outlets(facts: Sequence[Fact]) -> list[str]:
    """The outlets with the most articles, as many as a chart can show apart."""
    return [row.group for row in group_statistics(list(facts), "outlet")][:MAX_OUTLETS]


def monthly_shares(figure: go.Figure, title: str, axis: str, months: list[str]) -> go.Figure:
    """The layout of a share-per-month chart: percentages from 0 to 100%, months as categories
    in calendar order (plotly would order them by first appearance across the lines)."""
    figure.update_layout(
        title=title,
        yaxis_title=axis,
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1],
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": months},
    )
    return figure


def share_over_time(facts: Sequence[Fact]) -> go.Figure:
    """Propaganda share (flagged sentences / sentences) per month, one line per outlet.

    Months are categories (2024-01, not a date at day resolution) in calendar order for every
    outlet: plotly would otherwise order them by first appearance across the lines."""
    dated = [f for f in facts if f.published]
    months = sorted({f.published.strftime("%Y-%m") for f in dated if f.published})
    figure = go.Figure()
    for outlet in top_outlets(dated):
        rows = group_statistics([f for f in dated if f.source == outlet], "month")
        figure.add_scatter(
            name=outlet, x=[r.group for r in rows], y=[r.propaganda_share for r in rows], mode="lines+markers"
        )
    monthly_shares(figure, "Propaganda share over time", "flagged sentences", months)
    if not months:
        figure.add_annotation(
            text="No article has a publication date; give dates (published / date) to see this chart.",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
        )
        figure.update_xaxes(visible=False)
    return figure


def frame_mix(facts: Sequence[Fact]) -> go.Figure:
    """Share of each outlet's articles that use each frame (SemEval-2023 analyses)."""
    outlets = top_outlets(facts)
    articles = Counter(f.source for f in facts)
    framed: dict[str, Counter[str]] = defaultdict(Counter)
    for fact in facts:
        framed[fact.source].update(fact.frames)
    figure = go.Figure()
    for frame in techniques.FRAMES:
        values = [framed[o][frame] / articles[o] if articles[o] else 0 for o in outlets]
        if any(values):
            figure.add_bar(name=frame.replace("_", " "), x=outlets, y=values, hovertext=techniques.FRAMES[frame])
    figure.update_layout(
        barmode="group",
        title="Frame mix per outlet",
        yaxis_title="share of the outlet's articles",
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def frames_over_time(facts: Sequence[Fact]) -> go.Figure:
    """Share of each month's articles using each of the most used frames."""
    dated = [f for f in facts if f.published]
    months = sorted({f.published.strftime("%Y-%m") for f in dated if f.published})
    common = [frame for frame, _ in Counter(frame for f in dated for frame in f.frames).most_common(6)]
    figure = go.Figure()
    for frame in common:
        shares = []
        for month in months:
            members = [f for f in dated if f.published and f.published.strftime("%Y-%m") == month]
            shares.append(sum(frame in f.frames for f in members) / len(members))
        figure.add_scatter(name=frame.replace("_", " "), x=months, y=shares, mode="lines+markers")
    return monthly_shares(figure, "Frames over time", "share of the month's articles", months)


def genre_mix(facts: Sequence[Fact]) -> go.Figure:
    """Share of opinion, reporting and satire in each outlet's articles (SemEval-2023 analyses)."""
    outlets = top_outlets(facts)
    articles = Counter(f.source for f in facts)
    figure = go.Figure()
    for genre in techniques.GENRES:
        counts = Counter(f.source for f in facts if f.genre == genre)
        figure.add_bar(name=genre, x=outlets, y=[counts[o] / articles[o] if articles[o] else 0 for o in outlets])
    figure.update_layout(
        barmode="stack",
        title="Opinion and reporting per outlet",
        yaxis_title="share of articles",
        yaxis_tickformat=".0%",
    )
    return figure


def top_techniques(facts: Sequence[Fact]) -> go.Figure:
    rows = technique_statistics(list(facts))[::-1]
    figure = go.Figure(
        go.Bar(
            x=[r.spans for r in rows],
            y=[_title(r.technique) for r in rows],
            orientation="h",
            marker_color=[_colour(r.technique) for r in rows],
        )
    )
    figure.update_layout(title="Top techniques", xaxis_title="spans")
    return figure


def score_distribution(facts: Sequence[Fact]) -> go.Figure:
    figure = go.Figure(go.Histogram(x=[f.score for f in facts], xbins={"start": 0, "end": 1, "size": 0.05}))
    figure.update_layout(title="Article scores", xaxis_title="propaganda score", yaxis_title="articles")
    return figure


def listed_articles(facts: Sequence[Fact], limit: int) -> list[Fact]:
    """The articles a dashboard lists: highest score first, at most `limit`."""
    return sorted(facts, key=lambda f: (-f.score, f.article_id))[:limit]


def render_dashboard(
    facts: Sequence[Fact],
    passages: Sequence[Passage],
    link: Callable[[int], str],
    *,
    title: str = "Corpus dashboard",
    filters: dict[str, str] | None = None,
    article_limit: int = 200,
) -> str:
    """The page; `link(article_id)` gives the href of an article's highlighted view."""
    figures = [technique_mix(facts), share_over_time(facts), top_techniques(facts), score_distribution(facts)]
    if any(f.genre for f in facts):
        figures.append(genre_mix(facts))
    if any(f.frames for f in facts):
        figures += [frame_mix(facts), frames_over_time(facts)]
    charts = [
        Markup(
            figure.update_layout(height=420, margin={"t": 50, "l": 60, "r": 20, "b": 60}).to_html(
                full_html=False,
                include_plotlyjs=index == 0,
                config={"displaylogo": False, "responsive": True},
            )
        )
        for index, figure in enumerate(figures)
    ]
    listed = listed_articles(facts, article_limit)
    return (
        jinja_environment()
        .get_template("dashboard.html.j2")
        .render(
            title=title,
            charts=charts if facts else [],
            articles=[(fact, link(fact.article_id)) for fact in listed],
            total=len(facts),
            outlets=group_statistics(list(facts), "outlet"),
            passages=passages,
            filters=filters,
            titles={t.name: t.title for scheme in techniques.SCHEMES.values() for t in scheme.techniques},
            version=__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
