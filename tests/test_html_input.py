"""HTML files and pages: the main text is extracted and the page's metadata kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from propscope.errors import InputError
from propscope.formats.html import article_from_html
from propscope.formats.inputs import read_articles
from tests.conftest import run_cli

PAGE = """<!DOCTYPE html><html><head><title>Gazette | The Harbour Bill</title>
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<meta property="og:site_name" content="Example Gazette"></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>The Harbour Bill</h1>
<p>Once again the spineless bureaucrats at City Hall have rammed through a disastrous plan behind our backs.</p>
<p>Can we really trust anything these people tell us anymore? The council will meet again on Tuesday.</p>
</article><footer>Subscribe to our newsletter. Copyright 2024.</footer></body></html>"""


def test_main_text_and_metadata_are_extracted() -> None:
    article = article_from_html(PAGE, "harbour", url="https://gazette.example/harbour")
    assert article.text == (
        "The Harbour Bill\n"
        "Once again the spineless bureaucrats at City Hall have rammed through a disastrous plan behind our backs.\n"
        "Can we really trust anything these people tell us anymore? The council will meet again on Tuesday."
    )
    assert (article.title, article.author, article.source) == ("The Harbour Bill", "Jane Roe", "Example Gazette")
    assert article.published == dt.date(2024, 3, 5)
    assert article.url == "https://gazette.example/harbour"


def test_given_title_and_source_win_over_the_page() -> None:
    article = article_from_html(PAGE, "harbour", title="Mine", source="My outlet")
    assert (article.title, article.source) == ("Mine", "My outlet")


def test_a_page_without_article_text_is_refused() -> None:
    with pytest.raises(InputError, match=r"^empty\.html: no article text found in this HTML"):
        article_from_html(
            '<html><body><div class="menu"><ul><li><a href="/">Home</a></li></ul></div></body></html>', "empty.html"
        )


def test_folders_mix_text_and_html_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Plain text.", encoding="utf-8")
    (tmp_path / "b.html").write_text(PAGE, encoding="utf-8")
    articles = list(read_articles(str(tmp_path)))
    assert [(a.id, a.title) for a in articles] == [("a", None), ("b", "The Harbour Bill")]


def test_cli_analyzes_an_html_file(tmp_path: Path) -> None:
    page = tmp_path / "harbour.html"
    page.write_text(PAGE, encoding="utf-8")
    result = run_cli("analyze", str(page), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert '"title": "The Harbour Bill"' in result.stdout
    assert '"author": "Jane Roe"' in result.stdout


def test_cli_explains_a_refused_url() -> None:
    result = run_cli("analyze", "http://169.254.169.254/latest/meta-data/")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: http://169.254.169.254/latest/meta-data/: refused: 169.254.169.254 is a link-local address "
        "(cloud metadata services live there); propscope does not fetch loopback, private, link-local or metadata "
        "addresses unless PROPSCOPE_FETCH_ALLOW lists them"
    )


def test_fetched_pages_become_articles_with_the_given_metadata() -> None:
    from propscope.fetch import Page
    from propscope.formats.text import article_from_page

    plain = article_from_page(Page("https://x.example/a.txt", "text/plain", "Plain words."), "a", source="Wire")
    assert (plain.id, plain.text, plain.url, plain.source) == ("a", "Plain words.", "https://x.example/a.txt", "Wire")
    html = article_from_page(Page("https://x.example/h", "text/html", PAGE), "h", title="Mine")
    assert (html.title, html.author, html.url) == ("Mine", "Jane Roe", "https://x.example/h")
