"""JSON and JSON Lines of analyses: the machine format every other tool can read back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from propscope.article import Analysis
from propscope.errors import InputError
from propscope.formats.files import atomic_write_text, read_text_file


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
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"is not valid JSON ({error.msg})", path=path, line=error.lineno) from None
        for record in records:
            yield _analysis(record, path, None)
        return
    for number, record in json_lines(text, path):
        yield _analysis(record, path, number)


def json_lines(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of JSON Lines; a bad line is named by number."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"is not valid JSON ({error.msg})", path=path, line=number) from None


def _analysis(record: object, path: Path, line: int | None) -> Analysis:
    if not isinstance(record, dict):
        raise InputError("expected a JSON object for each analysis", path=path, line=line)
    try:
        return Analysis.from_dict(record)
    except KeyError as error:
        raise InputError(f"analysis lacks the field {error.args[0]!r}", path=path, line=line) from None
    except (TypeError, ValueError) as error:
        raise InputError(f"invalid analysis: {error}", path=path, line=line) from None
