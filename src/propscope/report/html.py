"""The HTML report: one self-contained page (CSS and JS inline) showing why passages were flagged.

The article text is untrusted, so it only ever reaches the page through Jinja's autoescaping or
`markupsafe.escape`; the page also carries a Content-Security-Policy that lets only its own
script run, so even a missed escape could not execute anything. The same page is what the web
app shows and offers for download, so the view is written once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

from propscope import __version__, techniques
from propscope.article import Analysis, Span

MAX_LANES = 6


@dataclass(frozen=True)
class TechniqueStyle:
    """How one technique looks on the page: its CSS class, colour and translucent tint."""

    index: int
    name: str
    title: str
    colour: str
    tint: str


def technique_styles() -> list[TechniqueStyle]:
    return [
        TechniqueStyle(index, t.name, t.title, t.colour, _tint(t.colour))
        for index, t in enumerate(techniques.every_technique())
    ]


def _tint(colour: str, alpha: float = 0.22) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def assign_lanes(spans: Sequence[Span]) -> list[int]:
    """A lane per span so that spans sharing any character get different lanes (greedy colouring
    in order of start); each lane draws its underline at a different depth."""
    lanes = [0] * len(spans)
    lane_ends: list[int] = []
    for index in sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end)):
        span = spans[index]
        free = next((lane for lane, end in enumerate(lane_ends) if end <= span.start), None)
        if free is None:
            lane_ends.append(span.end)
            free = len(lane_ends) - 1
        else:
            lane_ends[free] = span.end
        lanes[index] = free
    return lanes


def marked_text(text: str, spans: Sequence[Span], key: str) -> Markup:
    """The escaped text with each span wrapped in <mark> elements, properly nested.

    Where spans cross without nesting, the inner one is closed and reopened around the end of
    the outer one, so a span may be drawn as several pieces; only its first piece is a tab stop.
    """
    index = {technique.name: technique.index for technique in technique_styles()}
    lanes = assign_lanes(spans)
    boundaries = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end, i))
    pieces: list[str] = []
    open_stack: list[int] = []
    started: set[int] = set()
    for start, end in itertools.pairwise(boundaries):
        covering = [i for i in order if spans[i].start <= start and spans[i].end >= end]
        keep = 0
        while keep < min(len(open_stack), len(covering)) and open_stack[keep] == covering[keep]:
            keep += 1
        pieces.extend("</mark>" for _ in open_stack[keep:])
        open_stack = open_stack[:keep]
        for i in covering[keep:]:
            span = spans[i]
            first = i not in started
            started.add(i)
            open_stack.append(i)
            pieces.append(
                f'<mark class="ps-mark t{index[span.technique]} lane{min(lanes[i], MAX_LANES - 1)}" '
                f'data-span="{key}-{i}" data-technique="{escape(span.technique)}" data-score="{span.score:.4f}"'
                + (f' id="{key}-{i}" tabindex="0"' if first else "")
                + ">"
            )
        pieces.append(str(escape(text[start:end])))
    pieces.extend("</mark>" for _ in open_stack)
    return Markup("".join(pieces))


def safe_link(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:) stays plain text."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


@dataclass(frozen=True)
class ArticleView:
    """What the template needs for one article."""

    key: str
    analysis: Analysis
    body: Markup
    spans: list[tuple[int, Span]]
    lanes: int
    counts: list[tuple[TechniqueStyle, int]]
    link: str | None

    @property
    def heading(self) -> str:
        return self.analysis.article.title or self.analysis.article.id

    @property
    def flagged_sentences(self) -> int:
        return sum(s.flagged for s in self.analysis.sentences)


def article_view(number: int, analysis: Analysis) -> ArticleView:
    key = f"a{number}"
    spans = list(analysis.spans)
    styles = {s.name: s for s in technique_styles()}
    counts = Counter(span.technique for span in spans)
    lanes = assign_lanes(spans)
    return ArticleView(
        key=key,
        analysis=analysis,
        body=marked_text(analysis.article.text, spans, key),
        spans=sorted(enumerate(spans), key=lambda item: (item[1].start, item[1].end)),
        lanes=min(max(lanes, default=-1) + 1, MAX_LANES),
        counts=[(styles[name], count) for name, count in counts.most_common()],
        link=safe_link(analysis.article.url),
    )


@cache
def jinja_environment(folder: str = "report/templates") -> jinja2.Environment:
    """Templates from a folder of the propscope package, with autoescaping always on."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("propscope", folder),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["percent"] = lambda value: f"{value:.0%}"
    return environment


@cache
def asset(name: str, folder: str = "report") -> str:
    """A CSS or JS file shipped in propscope/<folder>/assets."""
    return resources.files("propscope").joinpath(folder, "assets", name).read_text(encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def report_script_hash() -> str:
    return script_hash(asset("report.js"))


def techniques_json() -> Markup:
    """Titles and definitions for the tooltips, safe inside a <script type=application/json>."""
    data = {t.name: {"title": t.title, "definition": t.definition} for t in techniques.every_technique()}
    text = json.dumps(data, ensure_ascii=False)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def render_report(analyses: Sequence[Analysis], *, title: str | None = None) -> str:
    """The whole report page for one or more analyses."""
    views = [article_view(number, analysis) for number, analysis in enumerate(analyses, start=1)]
    styles = {s.name: s for s in technique_styles()}
    totals = Counter(span.technique for analysis in analyses for span in analysis.spans)
    legend = [(styles[t.name], totals[t.name]) for t in techniques.every_technique() if totals[t.name]]
    page_title = title or (views[0].heading if len(views) == 1 else f"{len(views)} articles")
    return (
        jinja_environment()
        .get_template("report.html.j2")
        .render(
            page_title=page_title,
            views=views,
            legend=legend,
            styles=technique_styles(),
            style_of=styles,
            css=Markup(asset("report.css")),
            script=Markup(asset("report.js")),
            script_hash=report_script_hash(),
            techniques_json=techniques_json(),
            models=sorted({analysis.model_id for analysis in analyses}),
            frame_descriptions=techniques.FRAMES,
            version=__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
