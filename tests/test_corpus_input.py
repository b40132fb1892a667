"""Corpus input for batch runs: JSONL with metadata, PTC folders, text and HTML folders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from propscope.errors import InputError
from propscope.formats.inputs import read_articles as read_corpus
from tests.conftest import TINY_TEXT, run_cli


def test_jsonl_records_keep_their_metadata(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"id": 1, "text": "Cowards!", "outlet": "Herald", "author": "Ann", "date": "2024-05-02T10:00:00Z"}\n'
        "\n"
        '{"id": "p", "html": "<html><head><title>Page</title></head><body><article><p>The spineless '
        'bureaucrats lied again to all of us.</p></article></body></html>", "source": "Times"}\n',
        encoding="utf-8",
    )
    first, second = read_corpus(str(feed))
    assert (first.id, first.text, first.source, first.author, first.published) == (
        "1",
        "Cowards!",
        "Herald",
        "Ann",
        dt.date(2024, 5, 2),
    )
    assert (second.id, second.title, second.source) == ("p", "Page", "Times")
    assert second.text == "The spineless bureaucrats lied again to all of us."


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "feed.jsonl:2: is not valid JSON (Expecting property name enclosed in double quotes)"),
        ('["a list"]', "feed.jsonl:2: expected a JSON object with id and text (or html)"),
        ('{"text": "no id"}', "feed.jsonl:2: the record has no 'id'; give every article an id"),
        ('{"id": "x", "title": "t"}', "feed.jsonl:2: the record has neither 'text' nor 'html' as a string"),
        ('{"id": "x", "text": 5}', "feed.jsonl:2: field 'text': expected a string, got a number"),
        (
            '{"id": "x", "text": "t", "title": {"a": 1}}',
            "feed.jsonl:2: field 'title': expected a string, got an object",
        ),
        ('{"id": "x", "text": "t", "source": 7}', "feed.jsonl:2: field 'source': expected a string, got a number"),
        ('{"id": "x", "text": "t", "author": ["a"]}', "feed.jsonl:2: field 'author': expected a string, got a list"),
        ("[" * 100_000, "feed.jsonl:2: is nested too deeply to be a record; give flat JSON objects"),
        ('{"id": "x", "text": "t", "published": "soon"}', "feed.jsonl:2: invalid article record: "),
    ],
)
def test_bad_jsonl_lines_are_named_by_line(tmp_path: Path, line: str, message: str) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "ok", "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(read_corpus(str(feed)))
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_ptc_folders_and_text_folders(tiny_ptc: Path, tmp_path: Path) -> None:
    (article,) = read_corpus(str(tiny_ptc))
    assert (article.id, article.text) == ("900", TINY_TEXT)
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("Plain.", encoding="utf-8")
    assert [a.id for a in read_corpus(str(folder))] == ["a"]


def test_batch_reports_a_bad_line_without_storing_anything(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "ok", "text": "fine"}\n{"text": "no id"}\n', encoding="utf-8")
    database = tmp_path / "corpus.db"
    result = run_cli("batch", str(feed), "--db", str(database))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {feed}:2: the record has no 'id'; give every article an id"
