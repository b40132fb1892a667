"""The HTML report: exact markup for overlapping spans, escaping of untrusted text, the CLI command."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

from rich.console import Console

from propscope.article import Analysis, Article, Span
from propscope.report.html import assign_lanes, marked_text, render_report, report_script_hash, safe_link
from propscope.report.terminal import clipped, summary_table
from tests.conftest import run_cli

TEXT = "The corrupt elites lied again."
#          0123456789012345678901234567890
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "</textarea><svg onload=alert(1)>",
]


def crossing_analysis(text: str = TEXT, title: str | None = "Harbour") -> Analysis:
    """Name calling on 'corrupt elites' (4-18), loaded language on 'corrupt' (4-11) nested in it,
    and doubt on 'elites lied' (12-23) crossing the end of the name calling."""
    spans = (
        Span(4, 18, "Name_Calling,Labeling", 0.8),
        Span(4, 11, "Loaded_Language", 0.6),
        Span(12, 23, "Doubt", 0.3),
    )
    article = Article(id="a-1", text=text, title=title, source="Example Gazette", published=dt.date(2024, 3, 5))
    return Analysis(article, spans, score=0.5, covered_share=0.63, model_id="test-model")


def test_overlapping_spans_are_nested_and_crossing_ones_split() -> None:
    analysis = crossing_analysis()
    assert assign_lanes(analysis.spans) == [0, 1, 1]
    html = str(marked_text(TEXT, analysis.spans, "a1"))

    def mark(index: int, technique_class: str, lane: int, technique: str, score: str, first: bool) -> str:
        tab = f' id="a1-{index}" tabindex="0"' if first else ""  # the first piece: tab stop and link target
        return (
            f'<mark class="ps-mark {technique_class} lane{lane}" data-span="a1-{index}" '
            f'data-technique="{technique}" data-score="{score}"{tab}>'
        )

    expected = (
        "The "
        + mark(0, "t9", 0, "Name_Calling,Labeling", "0.8000", True)
        + mark(1, "t8", 1, "Loaded_Language", "0.6000", True)
        + "corrupt</mark> "
        + mark(2, "t5", 1, "Doubt", "0.3000", True)
        + "elites</mark></mark>"
        + mark(2, "t5", 1, "Doubt", "0.3000", False)
        + " lied</mark> again."
    )
    assert html == expected


def test_text_and_metadata_are_escaped_everywhere() -> None:
    hostile = " ".join(PAYLOADS)
    analysis = Analysis(
        Article(id=PAYLOADS[1], text=hostile, title=PAYLOADS[0], source=PAYLOADS[2], url="javascript:alert(1)"),
        (Span(0, len(PAYLOADS[0]), "Loaded_Language", 0.9),),
        model_id="m",
    )
    page = render_report([analysis])
    for payload in PAYLOADS:
        assert payload not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    # one inline script only, and the page's policy allows exactly that one
    assert len(re.findall(r"<script>", page)) == 1
    assert f"script-src {report_script_hash()}".replace("'", "&#39;") in page


def test_only_web_urls_become_links() -> None:
    assert safe_link("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("data:text/html,hi") is None
    assert safe_link(None) is None


def test_report_shows_scores_metadata_legend_and_passages() -> None:
    page = render_report([crossing_analysis()])
    assert "<title>Harbour · propscope report</title>" in page
    assert '<dd class="ps-score">0.50</dd>' in page
    assert '<dd class="ps-covered">63%</dd>' in page
    assert '<span class="ps-source">Example Gazette</span>' in page
    assert '<time datetime="2024-03-05">2024-03-05</time>' in page
    legend = re.findall(r'data-technique="([^"]+)" aria-pressed="true">', page)
    assert legend == ["Doubt", "Loaded_Language", "Name_Calling,Labeling"]
    assert '<td class="ps-passage"><a href="#a1-0">“corrupt elites”</a></td>' in page
    assert 'class="ps-index"' not in page  # one article: no index


def test_several_articles_get_an_index() -> None:
    second = Analysis(Article(id="calm", text="The council meets on Tuesday."), (), model_id="test-model")
    page = render_report([crossing_analysis(), second])
    assert 'class="ps-index"' in page
    assert '<a href="#a1">Harbour</a>' in page
    assert '<a href="#a2">calm</a>' in page
    assert "No propaganda techniques found." in page


def test_techniques_data_cannot_close_its_script_element() -> None:
    page = render_report([crossing_analysis()])
    data = page.split('<script type="application/json" id="ps-techniques">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data
    assert json.loads(data)["Doubt"]["title"] == "Doubt"


def test_cli_report_writes_one_page_from_text_and_saved_analyses(tmp_path: Path) -> None:
    saved = tmp_path / "saved.jsonl"
    saved.write_text(json.dumps(crossing_analysis().to_dict()) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "report.html"
    result = run_cli("report", "examples/editorial.txt", str(saved), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"wrote {out}: 2 article(s), ")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "spineless bureaucrats" in page
    assert '<a href="#a2">Harbour</a>' in page
    assert not list(out.parent.glob(".*.tmp"))


def test_cli_report_bad_input_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run_cli("report", str(tmp_path / "missing.txt"), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'missing.txt'}: no such file or folder; check the path"
    assert not out.exists()


def test_terminal_summary_cuts_a_long_example_at_a_word_not_inside_one() -> None:
    text = "If this bill stands, crime will flood our streets and no neighbourhood will ever be safe again."
    article = Article(id="a-2", text=text)
    analysis = Analysis(article, (Span(13, len(text) - 1, "Appeal_to_fear-prejudice", 0.8),))
    console = Console(file=io.StringIO(), width=200, no_color=True)
    console.print(summary_table(analysis))
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "stands, crime will flood our streets and no neighbourhood will ever be safe…" in printed
    assert clipped("a short passage", 80) == "a short passage"
    assert clipped("one, two, three", 10) == "one, two…"
