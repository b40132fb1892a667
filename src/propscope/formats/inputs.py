"""Every input propscope reads, by one table from file suffix to reader.

`analyze`, `report`, `batch` and the Ray engine all read through this module, so a file is
read the same way whichever command is given it:

| suffix | what it holds |
| --- | --- |
| .txt | one article, the text as it is |
| .html .htm .xhtml | one web page; its main text is extracted |
| .jsonl | article records (or saved analyses), one JSON object per line |
| .json | a JSON array of records, or JSON Lines |
| .parquet | article records as rows (needs pyarrow: `pip install 'propscope[ray]'`) |

A folder means every file below it with one of these suffixes, in name order (so a PTC
release folder gives its articles; label files are not articles); `-` is standard input and
http(s) URLs are fetched. An article file's id is its name without the suffix, except that `article<ID>.txt`,
the PTC naming, has the id `<ID>`, as PTC label files and the official scorers expect.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

from propscope.article import Analysis, Article
from propscope.errors import InputError
from propscope.fetch import FetchPolicy
from propscope.formats.files import decode_text, read_text_file
from propscope.formats.records import analysis_from_record, article_from_record, is_analysis, json_lines, loads

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
RECORD_SUFFIXES = (".jsonl", ".json")
TABLE_SUFFIXES = (".parquet",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + RECORD_SUFFIXES + TABLE_SUFFIXES
URL_PREFIXES = ("http://", "https://")

_PTC_ID = re.compile(r"^article(?P<id>.+)$")

Item = Article | Analysis


def kind_of(path: str | PurePath) -> str | None:
    """ "text", "html", "records" or "table" for a file name; None for anything else."""
    suffix = PurePath(path).suffix.lower()
    for kind, suffixes in (
        ("text", TEXT_SUFFIXES),
        ("html", HTML_SUFFIXES),
        ("records", RECORD_SUFFIXES),
        ("table", TABLE_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


def article_id(path: str | PurePath) -> str:
    """The id of an article file: `article<ID>.txt` -> `<ID>`, anything else its stem."""
    name = PurePath(path)
    match = _PTC_ID.match(name.stem)
    return match.group("id") if match else (name.stem or name.name)


def article_from_text(text: str, path: str | PurePath) -> Article:
    """A text or HTML file's content as an article (HTML goes through extraction)."""
    if kind_of(path) == "html":
        from propscope.formats.html import article_from_html

        return article_from_html(text, article_id(path))
    return Article(id=article_id(path), text=text, title=headline(text))


def headline(text: str) -> str | None:
    """The first line when it stands alone as a title (a short line followed by a blank line),
    as in PTC files and most news dumps; None otherwise."""
    first, _, rest = text.lstrip("\ufeff").partition("\n")
    first = first.strip()
    if first and len(first) <= 200 and rest.lstrip(" \t\r").startswith("\n"):
        return first
    return None


def read_file(path: Path) -> Iterator[Item]:
    """The articles (or saved analyses) in one file, by its suffix."""
    kind = kind_of(path)
    if kind in ("text", "html", None):
        yield article_from_text(read_text_file(path), path)
    elif kind == "records":
        yield from read_records(path)
    else:
        yield from read_table(path)


def read_records(path: Path) -> Iterator[Item]:
    """Records of a .jsonl or .json file: article records and analyses may be mixed."""
    for number, record in records_of(read_text_file(path), path):
        yield record_item(record, path, number)


def records_of(text: str, path: str | PurePath) -> Iterator[tuple[int | None, Any]]:
    """(line number or None, record) of a JSON array, a single JSON object, or JSON Lines."""
    stripped = text.strip()
    if stripped.startswith("["):
        records = loads(text, str(path))
        if not isinstance(records, list):
            raise InputError("is not a JSON array of records", path=str(path))
        for record in records:
            yield None, record
    elif stripped.startswith("{") and "\n" not in stripped:
        yield 1, loads(text, str(path))
    else:
        yield from json_lines(text, str(path))


def record_item(record: Any, path: str | Path, line: int | None) -> Item:
    if is_analysis(record):
        return analysis_from_record(record, path, line)
    return article_from_record(record, path, line)


def read_table(path: Path) -> Iterator[Item]:
    """Article records as the rows of a Parquet file."""
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise InputError("reading Parquet needs pyarrow: pip install 'propscope[ray]'", path=path) from None
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise InputError(f"is not a readable Parquet file ({error})", path=path) from None
    for number, row in enumerate(table.to_pylist(), start=1):
        yield record_item({k: v for k, v in row.items() if v is not None}, path, number)


def files_below(folder: Path) -> list[Path]:
    """Every readable file below `folder`, in name order; an InputError when there is none."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and kind_of(p) is not None)
    if not files:
        raise InputError(f"holds no article files; put articles there as {', '.join(SUFFIXES)} files", path=folder)
    return files


def read_source(source: str, policy: FetchPolicy | None = None) -> Iterator[Item]:
    """Articles (or saved analyses) from a path, a folder, an http(s) URL or '-' (stdin)."""
    if source == "-":
        yield Article(id="stdin", text=decode_text(sys.stdin.buffer.read(), "<stdin>"))
        return
    if source.startswith(URL_PREFIXES):
        from propscope.formats.text import article_from_url

        yield article_from_url(source, policy or FetchPolicy())
        return
    path = Path(source)
    if not path.exists():
        raise InputError("no such file or folder; check the path", path=path)
    if path.is_dir():
        for file in files_below(path):
            yield from read_file(file)
    else:
        yield from read_file(path)


def read_articles(source: str, policy: FetchPolicy | None = None) -> Iterator[Article]:
    """The articles of a source; a saved analysis counts as its article (to analyse it again)."""
    for item in read_source(source, policy):
        yield item.article if isinstance(item, Analysis) else item
