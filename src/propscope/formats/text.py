"""Article input for the CLI: a text or HTML file, a folder of them, a URL, or standard input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from propscope.article import Article
from propscope.errors import InputError
from propscope.fetch import FetchPolicy, Page, fetch
from propscope.formats.files import decode_text, read_text_file
from propscope.formats.html import HTML_SUFFIXES, article_from_html

TEXT_SUFFIXES = (".txt",)
URL_PREFIXES = ("http://", "https://")


def article_from_file(path: Path) -> Article:
    """An article whose id is the file name without its suffix; HTML files go through extraction."""
    article_id = path.stem or path.name
    text = read_text_file(path)
    if path.suffix.lower() in HTML_SUFFIXES:
        return article_from_html(text, article_id)
    return Article(id=article_id, text=text)


def article_from_url(url: str, policy: FetchPolicy) -> Article:
    """The article at `url`; plain-text pages are taken as they are, HTML is extracted."""
    return article_from_page(fetch(url, policy), url)


def article_from_page(page: Page, article_id: str, *, title: str | None = None, source: str | None = None) -> Article:
    """The article in a fetched page; given `title` and `source` win over what the page says."""
    if page.content_type == "text/plain":
        return Article(id=article_id, text=page.text, url=page.url, title=title, source=source)
    return article_from_html(page.text, article_id, url=page.url, title=title, source=source)


def articles_from_folder(folder: Path) -> Iterator[Article]:
    """Every .txt and .html file below `folder`, in name order."""
    suffixes = TEXT_SUFFIXES + HTML_SUFFIXES
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    if not files:
        raise InputError("holds no .txt or .html files; put one article per file there", path=folder)
    for path in files:
        yield article_from_file(path)


def article_from_stdin(article_id: str = "stdin") -> Article:
    """Read all of standard input as one article."""
    return Article(id=article_id, text=decode_text(sys.stdin.buffer.read(), "<stdin>"))


def read_articles(source: str, policy: FetchPolicy | None = None) -> Iterator[Article]:
    """Articles from a path (file or folder), an http(s) URL, or '-' for standard input."""
    if source == "-":
        yield article_from_stdin()
        return
    if source.startswith(URL_PREFIXES):
        yield article_from_url(source, policy or FetchPolicy())
        return
    path = Path(source)
    if not path.exists():
        raise InputError("no such file or folder; check the path", path=path)
    if path.is_dir():
        yield from articles_from_folder(path)
    else:
        yield article_from_file(path)
