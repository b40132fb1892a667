"""The API's typed requests and responses; the OpenAPI schema built from them is the contract."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from propscope import techniques

SchemeName = Literal[tuple(techniques.SCHEMES)]  # type: ignore[valid-type]
TechniqueName = Literal[  # type: ignore[valid-type]
    tuple(dict.fromkeys(name for scheme in techniques.SCHEMES.values() for name in scheme.names))
]

INPUTS = ("text", "html", "url")
EXAMPLE_TEXT = (
    "Once again the spineless bureaucrats at City Hall have rammed through a disastrous plan behind our backs. "
    "Can we really trust anything these people tell us anymore?"
)


def _request_schema(schema: dict[str, Any]) -> None:
    """Say in the schema what the validator enforces: exactly one of text, html and url."""
    schema["oneOf"] = [{"required": [name], "properties": {name: {"type": "string"}}} for name in INPUTS]
    schema["examples"] = [
        {"text": EXAMPLE_TEXT, "title": "The Harbour Bill", "source": "Example Gazette"},
        {"url": "https://example.org/news/harbour-bill", "threshold": 0.5},
        {"html": "<html><body><article><p>" + EXAMPLE_TEXT + "</p></article></body></html>"},
    ]


class AnalyzeRequest(BaseModel):
    """One article to analyse: exactly one of `text`, `html` or `url`."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_request_schema)

    text: str | None = Field(None, description="Plain article text; span offsets refer to it as sent.")
    html: str | None = Field(None, description="An HTML page; its main text is extracted (trafilatura).")
    url: str | None = Field(
        None,
        max_length=2048,
        pattern=r"^https?://",
        description="A public http(s) page to fetch; loopback, private and metadata addresses are refused.",
    )
    id: str | None = Field(
        None,
        max_length=200,
        description="Your id for the article. Default: the URL, or text-N / html-N for the N-th item.",
    )
    title: str | None = Field(None, max_length=1000)
    source: str | None = Field(None, max_length=200, description="The outlet that published the article.")
    threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Smallest span score reported (a calibrated probability); lower finds more. "
        "Default: the model's tuned value.",
    )
    scheme: SchemeName | None = Field(  # type: ignore[valid-type]
        None,
        description="semeval2020: the 14 PTC techniques (the default); semeval2023: 23 techniques plus the "
        "article's genre and frames.",
    )
    techniques: list[TechniqueName] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="Keep only these techniques (names of the model's scheme)."
    )

    @model_validator(mode="after")
    def _one_input(self) -> AnalyzeRequest:
        given = [name for name in INPUTS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, html or url")
        return self


class BatchRequest(BaseModel):
    """Several articles analysed in one request, answered in the same order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"items": [{"text": EXAMPLE_TEXT}, {"text": "The council meets on Tuesday."}]}]
        },
    )

    items: list[AnalyzeRequest] = Field(min_length=1)


class ArticleOut(BaseModel):
    id: str
    title: str | None
    source: str | None
    author: str | None
    published: dt.date | None
    url: str | None
    text: str


class SpanOut(BaseModel):
    start: int = Field(description="Offset of the first character, in code points of article.text.")
    end: int = Field(description="Offset after the last character.")
    technique: str
    score: float = Field(
        description="For a calibrated model, the probability that annotators marked a propaganda passage here."
    )
    text: str


class SentenceOut(BaseModel):
    start: int
    end: int
    flagged: bool
    score: float
    techniques: list[str]


class GenreOut(BaseModel):
    label: Literal[techniques.GENRES] = Field(description="opinion, reporting or satire.")  # type: ignore[valid-type]
    probabilities: dict[str, float] = Field(description="The probability of each genre.")


class FramesOut(BaseModel):
    labels: list[str] = Field(description="The frames the article uses (SemEval-2023 subtask 2).")
    scores: dict[str, float] = Field(description="A score in [0, 1] for every frame.")


class AnalysisOut(BaseModel):
    """The analysis of one article: spans with offsets, sentences and the article-level score;
    with the SemEval-2023 scheme also its genre and frames."""

    article: ArticleOut
    model_id: str
    scheme: Literal[tuple(techniques.SCHEMES)] = Field(  # type: ignore[valid-type]
        description="The taxonomy of the spans' techniques: semeval2020 (14 PTC techniques) or semeval2023 (23)."
    )
    score: float = Field(
        description="Article-level propaganda score in [0, 1]: the mean calibrated sentence score, i.e. the expected "
        "share of its sentences that contain a technique."
    )
    covered_share: float = Field(description="Share of the text inside at least one span.")
    spans: list[SpanOut]
    sentences: list[SentenceOut]
    genre: GenreOut | None = Field(None, description="Only from models that predict the genre.")
    frames: FramesOut | None = Field(None, description="Only from models that predict frames.")


class BatchOut(BaseModel):
    analyses: list[AnalysisOut]


class TechniqueOut(BaseModel):
    name: str
    title: str
    definition: str
    example: str
    colour: str


class HealthOut(BaseModel):
    status: Literal["ok"]
    model_id: str
    version: str


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error has this shape, whatever went wrong."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "status": 413,
                        "code": "too_large",
                        "message": "text has 250,000 characters, over the limit of 200,000",
                    }
                }
            ]
        }
    )

    error: ErrorDetail
