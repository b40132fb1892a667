"""Human review in Label Studio: tasks with the model's spans as pre-annotations, the labelling
configuration, and the way back from Label Studio's JSON export to a PTC folder.

Label Studio counts text offsets the way JavaScript does, in UTF-16 code units, while
propscope (and PTC) count code points; a character outside the Basic Multilingual Plane (an
emoji, some CJK) is one code point but two code units. Offsets are converted both ways here,
so a span survives the round trip exactly whatever the text holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from propscope import techniques
from propscope.article import Analysis, Span
from propscope.errors import InputError

FROM_NAME = "technique"
TO_NAME = "text"
HOTKEYS = "1234567890qwertyuiopasdfghjklzxcvbnm"


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 offset of code point `index` in `text`."""
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


def code_point_offset(text: str, offset: int) -> int:
    """The code point index of UTF-16 offset `offset` in `text` (the inverse of `utf16_offset`)."""
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def labelling_config(scheme: str = techniques.DEFAULT_SCHEME) -> str:
    """The Label Studio labelling interface: the techniques with their report colours and hotkeys."""
    labels = "\n".join(
        f"    <Label value={quoteattr(t.name)} background={quoteattr(t.colour)} hotkey={quoteattr(HOTKEYS[i])}/>"
        for i, t in enumerate(techniques.scheme(scheme).techniques)
    )
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n'
        f"{labels}\n"
        "  </Labels>\n"
        f'  <Text name="{TO_NAME}" value="$text"/>\n'
        "</View>\n"
    )


def task(analysis: Analysis) -> dict[str, Any]:
    """One Label Studio task: the article as data, the model's spans as a prediction."""
    article = analysis.article
    text = article.text
    result = [
        {
            "id": f"s{number}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {
                "start": utf16_offset(text, span.start),
                "end": utf16_offset(text, span.end),
                "text": analysis.text_of(span),
                "labels": [span.technique],
            },
            "score": span.score,
        }
        for number, span in enumerate(analysis.spans)
    ]
    data = {
        "text": text,
        "article_id": article.id,
        "title": article.title,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "url": article.url,
    }
    return {
        "data": {k: v for k, v in data.items() if v is not None},
        "predictions": [{"model_version": analysis.model_id, "score": analysis.score, "result": result}],
    }


def dumps_tasks(analyses: Iterable[Analysis]) -> str:
    """Tasks for Label Studio's JSON import, one per analysis."""
    return json.dumps([task(a) for a in analyses], ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class Annotated:
    """One reviewed article from a Label Studio export: its text and the spans people kept."""

    article_id: str
    text: str
    spans: tuple[Span, ...]


def read_export(path: Path) -> list[Annotated]:
    """The completed tasks of a Label Studio JSON export (the newest annotation of each task
    that was not skipped); InputError naming the task for anything that does not fit."""
    from propscope.formats.files import read_text_file
    from propscope.formats.records import loads

    tasks = loads(read_text_file(path), path)
    if not isinstance(tasks, list):
        raise InputError("is not a Label Studio JSON export (expected a list of tasks)", path=path)
    return list(_annotated(tasks, path))


def _annotated(tasks: Sequence[Any], path: Path) -> Iterator[Annotated]:
    for number, item in enumerate(tasks, start=1):
        where = f"{path} (task {item.get('id', number) if isinstance(item, dict) else number})"
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise InputError("is not a task (no 'data' object)", path=where)
        text = item["data"].get("text")
        if not isinstance(text, str):
            raise InputError("has no text in its data", path=where)
        done = [a for a in item.get("annotations", []) if isinstance(a, dict) and not a.get("was_cancelled")]
        if not done:
            continue
        newest = max(done, key=lambda a: (str(a.get("updated_at", "")), a.get("id", 0)))
        article_id = str(item["data"].get("article_id") or item.get("id") or number)
        yield Annotated(article_id, text, tuple(sorted(_spans(newest.get("result", []), text, where))))


def _spans(result: Sequence[Any], text: str, where: str) -> Iterator[Span]:
    for region in result:
        if not isinstance(region, dict) or region.get("type") != "labels":
            continue
        value = region.get("value", {})
        try:
            start = code_point_offset(text, int(value["start"]))
            end = code_point_offset(text, int(value["end"]))
        except (KeyError, TypeError, ValueError):
            raise InputError("has a labelled region without start and end offsets", path=where) from None
        for label in value.get("labels", []):
            try:
                yield Span(start, end, label)
            except ValueError as error:
                raise InputError(str(error), path=where) from None


def write_ptc_folder(annotated: Sequence[Annotated], out: Path) -> None:
    """A PTC folder that `propscope evaluate --gold` and `propscope train --train-dir` read:
    articles/article<ID>.txt (the text exactly) and labels/article<ID>.task-flc-tc.labels."""
    from propscope.formats.files import atomic_write_text
    from propscope.formats.ptc import format_tc_labels

    for item in annotated:
        if "/" in item.article_id or item.article_id in (".", ".."):
            raise InputError("is not usable as a file name; give the task a plain article_id", path=item.article_id)
        atomic_write_text(out / "articles" / f"article{item.article_id}.txt", item.text)
        atomic_write_text(
            out / "labels" / f"article{item.article_id}.task-flc-tc.labels",
            format_tc_labels({item.article_id: item.spans}),
        )
