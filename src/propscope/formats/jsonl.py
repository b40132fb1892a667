"""JSON and JSON Lines of analyses: the machine format every other tool can read back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from propscope.article import Analysis
from propscope.formats.files import atomic_write_text, read_text_file
from propscope.formats.records import analysis_from_record, json_lines, loads


def dumps_jsonl(analyses: Iterable[Analysis]) -> str:
    """One analysis per line."""
    return "".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in analyses)


def dumps_json(analyses: Iterable[Analysis]) -> str:
    """A JSON array of analyses, indented for reading."""
    return json.dumps([a.to_dict() for a in analyses], ensure_ascii=False, indent=2) + "\n"


def write_analyses(path: Path, analyses: Iterable[Analysis]) -> None:
    """Write `.json` as an array and anything else as JSON Lines, atomically."""
    text = dumps_json(analyses) if path.suffix == ".json" else dumps_jsonl(analyses)
    atomic_write_text(path, text)


def read_analyses(path: Path) -> Iterator[Analysis]:
    """Read analyses from a JSON array, a single JSON object, or JSON Lines."""
    text = read_text_file(path)
    if text.lstrip().startswith("["):
        for record in loads(text, path):
            yield analysis_from_record(record, path, None)
        return
    for number, record in json_lines(text, path):
        yield analysis_from_record(record, path, number)
