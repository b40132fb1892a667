"""Plain text input: a file, a folder of .txt files, or standard input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from propscope.article import Article
from propscope.errors import InputError
from propscope.formats.files import decode_text, read_text_file

TEXT_SUFFIXES = (".txt",)


def article_from_text_file(path: Path) -> Article:
    """An article whose id is the file name without its suffix."""
    return Article(id=path.stem or path.name, text=read_text_file(path))


def articles_from_folder(folder: Path) -> Iterator[Article]:
    """Every .txt file below `folder`, in name order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    if not files:
        raise InputError("holds no .txt files; put one article per .txt file there", path=folder)
    for path in files:
        yield article_from_text_file(path)


def article_from_stdin(article_id: str = "stdin") -> Article:
    """Read all of standard input as one article."""
    return Article(id=article_id, text=decode_text(sys.stdin.buffer.read(), "<stdin>"))


def read_articles(source: str) -> Iterator[Article]:
    """Articles from a path (file or folder) or '-' for standard input."""
    if source == "-":
        yield article_from_stdin()
        return
    path = Path(source)
    if not path.exists():
        raise InputError("no such file or folder; check the path", path=path)
    if path.is_dir():
        yield from articles_from_folder(path)
    else:
        yield article_from_text_file(path)
