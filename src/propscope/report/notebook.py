"""The HTML report inside a notebook cell.

Notebooks put an output's HTML into their own page, where the report's script and styles
would clash with the notebook's (and untrusted notebooks strip scripts). The report is
therefore shown in a sandboxed iframe whose `srcdoc` holds the whole, escaped page: the same
view as `propscope report`, isolated from the notebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import escape

from propscope.article import Analysis
from propscope.report.html import render_report


def notebook_html(analyses: Sequence[Analysis], *, height: int = 640) -> str:
    """An iframe showing the report of `analyses` (one article, or several with an index)."""
    page = render_report(analyses)
    return (
        f'<iframe srcdoc="{escape(page)}" sandbox="allow-scripts" title="propscope report" '
        f'style="width: 100%; height: {height}px; border: 1px solid #ddd;"></iframe>'
    )


class Report:
    """One or several analyses shown as one report in a notebook; `save()` writes the HTML file.

    >>> propscope.Report(detector.analyze_many(texts))  # doctest: +SKIP
    """

    def __init__(self, analyses: Analysis | Iterable[Analysis], *, title: str | None = None):
        self.analyses = [analyses] if isinstance(analyses, Analysis) else list(analyses)
        self.title = title

    def __repr__(self) -> str:
        return f"Report({len(self.analyses)} articles)"

    def _repr_html_(self) -> str:
        return notebook_html(self.analyses)

    def html(self) -> str:
        """The self-contained page, as `propscope report` writes it."""
        return render_report(self.analyses, title=self.title)

    def save(self, path: str) -> None:
        from pathlib import Path

        from propscope.formats.files import atomic_write_text

        atomic_write_text(Path(path), self.html())
