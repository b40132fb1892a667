"""Records read from JSON, JSON Lines and Parquet, validated where they are read.

An article record is `id`, `text` or `html`, and optionally `title`, `source` (or `outlet`),
`author`, `published` (or `date`, ISO 8601) and `url`; an analysis record is what
`propscope analyze --format json/jsonl` writes. pydantic checks every field's type, so a title
given as an object or a source given as a number is refused here, with the file, the line and
the field, instead of failing deep inside a database insert. A corpus of thousands of lines is
fixed by editing that line, so that is what the message names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from propscope.article import Analysis, Article, Frames, Genre, SentenceFlag, Span
from propscope.errors import InputError

_UNION_TAGS = {"str", "int", "float", "bool"}  # pydantic names the member of a union in the location
_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
}


class ArticleRecord(BaseModel):
    """One article as a JSON object; `html` is extracted, `text` taken as it is."""

    model_config = ConfigDict(extra="ignore")

    id: StrictStr | StrictInt
    text: StrictStr | None = None
    html: StrictStr | None = None
    title: StrictStr | None = None
    source: StrictStr | None = Field(None, validation_alias=AliasChoices("source", "outlet"))
    author: StrictStr | None = None
    published: StrictStr | None = Field(None, validation_alias=AliasChoices("published", "date"))
    url: StrictStr | None = None


class SpanRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: StrictInt
    end: StrictInt
    technique: StrictStr
    score: StrictFloat | StrictInt = 1.0


class SentenceRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: StrictInt
    end: StrictInt
    flagged: bool
    score: StrictFloat | StrictInt
    techniques: list[StrictStr] = []


class GenreRecord(BaseModel):
    label: StrictStr
    probabilities: dict[str, StrictFloat | StrictInt] = {}


class FramesRecord(BaseModel):
    labels: list[StrictStr]
    scores: dict[str, StrictFloat | StrictInt] = {}


class AnalysisRecord(BaseModel):
    """An analysis as `propscope analyze --format json/jsonl` writes it."""

    model_config = ConfigDict(extra="ignore")

    article: ArticleRecord
    spans: list[SpanRecord] = []
    sentences: list[SentenceRecord] = []
    score: StrictFloat | StrictInt = 0.0
    covered_share: StrictFloat | StrictInt = 0.0
    model_id: StrictStr = "unknown"
    scheme: StrictStr | None = None
    genre: GenreRecord | None = None
    frames: FramesRecord | None = None


def is_analysis(record: object) -> bool:
    """True for an analysis record (it holds an `article`), False for an article record."""
    return isinstance(record, dict) and "article" in record


def parse_date(value: str | None, field: str = "published") -> dt.date | None:
    """An ISO date, or the date part of an ISO timestamp; ValueError naming the field."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"field {field!r}: {value!r} is not a date; write YYYY-MM-DD") from None


def article_from_record(record: Any, path: str | Path, line: int | None = None) -> Article:
    """An article from one record; every error names the file, the line and the field."""
    if not isinstance(record, dict):
        raise InputError("expected a JSON object with id and text (or html)", path=path, line=line)
    if "id" not in record:
        raise InputError("the record has no 'id'; give every article an id", path=path, line=line)
    try:
        fields = ArticleRecord.model_validate(record)
    except ValidationError as error:
        raise InputError(_describe(error), path=path, line=line) from None
    if fields.text is None and fields.html is None:
        raise InputError("the record has neither 'text' nor 'html' as a string", path=path, line=line)
    try:
        return _article(fields)
    except InputError as error:
        raise InputError(str(error), path=path, line=line) from None
    except (TypeError, ValueError) as error:
        raise InputError(f"invalid article record: {error}", path=path, line=line) from None


def _article(fields: ArticleRecord) -> Article:
    """What the record says wins over what an HTML page says about itself."""
    published = parse_date(fields.published)
    if fields.text is not None:
        return Article(
            id=str(fields.id),
            text=fields.text,
            title=fields.title,
            source=fields.source,
            author=fields.author,
            published=published,
            url=fields.url,
        )
    from propscope.formats.html import article_from_html

    assert fields.html is not None
    page = article_from_html(fields.html, str(fields.id), url=fields.url, title=fields.title, source=fields.source)
    return Article(
        id=page.id,
        text=page.text,
        title=page.title,
        source=page.source,
        author=fields.author or page.author,
        published=published or page.published,
        url=fields.url,
    )


def analysis_from_record(record: Any, path: str | Path, line: int | None = None) -> Analysis:
    """An analysis from one record; every error names the file, the line and the field."""
    if not isinstance(record, dict):
        raise InputError("expected a JSON object for each analysis", path=path, line=line)
    try:
        fields = AnalysisRecord.model_validate(record)
    except ValidationError as error:
        raise InputError(_describe(error), path=path, line=line) from None
    if fields.article.text is None:
        raise InputError("field 'article.text': the analysed article's text is missing", path=path, line=line)
    try:
        return Analysis(
            article=_article(fields.article),
            spans=tuple(Span(s.start, s.end, s.technique, float(s.score)) for s in fields.spans),
            sentences=tuple(
                SentenceFlag(s.start, s.end, s.flagged, float(s.score), tuple(s.techniques)) for s in fields.sentences
            ),
            score=float(fields.score),
            covered_share=float(fields.covered_share),
            model_id=fields.model_id,
            **({"scheme": fields.scheme} if fields.scheme else {}),
            genre=Genre(fields.genre.label, dict(fields.genre.probabilities)) if fields.genre else None,
            frames=Frames(tuple(fields.frames.labels), dict(fields.frames.scores)) if fields.frames else None,
        )
    except (TypeError, ValueError) as error:
        raise InputError(f"invalid analysis: {error}", path=path, line=line) from None


def json_lines(text: str, path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of JSON Lines.

    Lines end at "\\n" only (JSON Lines' rule): U+2028, U+2029 and U+0085, which a JSON string
    may hold unescaped, are text, not line ends."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        yield number, loads(line, path, number)


def loads(text: str, path: str | Path, line: int | None = None) -> Any:
    """json.loads with errors that name the input: invalid JSON, or nesting too deep to be data."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"is not valid JSON ({error.msg})", path=path, line=line or error.lineno) from None
    except RecursionError:
        raise InputError("is nested too deeply to be a record; give flat JSON objects", path=path, line=line) from None


def _describe(error: ValidationError) -> str:
    """The first problem of a validation error as one sentence naming the field."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"] if part not in _UNION_TAGS)
    value = problem.get("input")
    if problem["type"] == "missing":
        return f"field {where!r} is missing"
    expected = {
        "string_type": "a string",
        "int_type": "a whole number",
        "float_type": "a number",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "an object",
        "model_type": "an object",
    }.get(problem["type"].split(".")[0].replace("_parsing", "_type"))
    got = _TYPE_NAMES.get(type(value), type(value).__name__)
    if expected is None:
        return f"field {where!r}: {problem['msg']}"
    return f"field {where!r}: expected {expected}, got {got}"
