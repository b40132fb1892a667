"""Corpus input for batch runs: folders of .txt/.html files, PTC folders, and JSONL with metadata.

A JSONL line is one article: `id`, `text` or `html`, and optionally `title`, `source` (or
`outlet`), `author`, `published` (or `date`, ISO 8601) and `url`. A bad line is reported by file
and line number, because a corpus of thousands of lines is fixed by editing that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from propscope.article import Article
from propscope.errors import InputError
from propscope.fetch import FetchPolicy
from propscope.formats.files import read_text_file
from propscope.formats.html import article_from_html
from propscope.formats.jsonl import json_lines
from propscope.formats.ptc import read_ptc_folder
from propscope.formats.text import read_articles

_PTC_ARTICLE = re.compile(r"^article\d+\.txt$")


def is_ptc_folder(path: Path) -> bool:
    return path.is_dir() and any(_PTC_ARTICLE.match(p.name) for p in path.rglob("article*.txt"))


def read_corpus(source: str, policy: FetchPolicy | None = None) -> Iterator[Article]:
    """Articles from a JSONL file, a PTC folder, or anything `read_articles` takes."""
    path = Path(source)
    if source.endswith(".jsonl") and path.is_file():
        yield from read_jsonl_articles(path)
    elif is_ptc_folder(path):
        corpus = read_ptc_folder(path)
        for article_id in sorted(corpus.articles):
            yield corpus.articles[article_id]
    else:
        yield from read_articles(source, policy)


def read_jsonl_articles(path: Path) -> Iterator[Article]:
    for number, record in json_lines(read_text_file(path), path):
        yield article_from_record(record, path, number)


def article_from_record(record: Any, path: str | Path, line: int | None = None) -> Article:
    """An article from one JSONL/Parquet record; errors name the file and line."""
    if not isinstance(record, dict):
        raise InputError("expected a JSON object with id and text (or html)", path=path, line=line)
    if "id" not in record:
        raise InputError("the record has no 'id'; give every article an id", path=path, line=line)
    if not isinstance(record.get("text"), str) and not isinstance(record.get("html"), str):
        raise InputError("the record has neither 'text' nor 'html' as a string", path=path, line=line)
    try:
        if isinstance(record.get("text"), str):
            return Article.from_dict(record)
        extracted = article_from_html(
            record["html"], str(record["id"]), url=record.get("url"), title=record.get("title")
        )
        return Article.from_dict(extracted.to_dict() | {k: v for k, v in record.items() if k != "html" and v})
    except InputError as error:
        raise InputError(str(error), path=path, line=line) from None
    except (TypeError, ValueError) as error:
        raise InputError(f"invalid article record: {error}", path=path, line=line) from None
