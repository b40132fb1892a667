"""The FastAPI application: the REST API, and the web page at / that uses nothing but that API.

The model is loaded once per process and shared by all requests. Fetching, extraction and
analysis block, so they run on threads (analyses on the bounded `AnalysisPool`); the event loop
only moves bytes. Every error, whatever raised it, is answered in one JSON shape (`ErrorOut`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup
from starlette.exceptions import HTTPException

from propscope import __version__, techniques
from propscope.article import Analysis, Article
from propscope.config import Settings
from propscope.detect.model import Detector
from propscope.errors import InputError
from propscope.fetch import FetchError, Page, fetch
from propscope.formats.html import article_from_html
from propscope.formats.text import article_from_page
from propscope.report.html import asset, jinja_environment, render_report, report_script_hash, script_hash
from propscope.server.corpus import CorpusPages
from propscope.server.limits import AnalysisPool, ApiError, BodyLimit, error_body, too_large
from propscope.server.sanitise import SurrogateSafeRoute
from propscope.server.schemas import (
    AnalysisOut,
    AnalyzeRequest,
    BatchOut,
    BatchRequest,
    ErrorOut,
    HealthOut,
    SchemeName,
    TechniqueOut,
)

log = logging.getLogger("propscope.server")

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "The request body could not be read (it is not UTF-8).",
        413: "The body, the text or the batch is over a size limit; the message gives the limit.",
        422: "The request is malformed, or the text, HTML or URL cannot be used; the message says why.",
        503: "Too many analyses are running or waiting; retry after the Retry-After seconds.",
        504: "The analysis took longer than the server's time limit.",
    }.items()
}

#: the same error responses for a route whose own answer is not JSON (the report's HTML)
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": entry["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for status, entry in ERRORS.items()
}

Fetcher = Callable[[str], Page]


def create_app(
    settings: Settings | None = None,
    *,
    detector: Detector | None = None,
    fetcher: Fetcher | None = None,
    schemes: Mapping[str, Detector] | None = None,
) -> FastAPI:
    """A ready application; `detector` (the default model), `schemes` (models by scheme) and
    `fetcher` can be given to share models or to test. A request for another scheme than the
    default model's loads that scheme's shipped model once, on first use."""
    settings = settings or Settings()
    threads = max(1, (os.cpu_count() or 1) // settings.api_max_concurrent)
    if detector is None:
        detector = Detector.load(settings.model, threads=threads, spin=False)
    default = detector
    loaded: dict[str, Detector] = {default.scheme: default, **(schemes or {})}
    loading = threading.Lock()

    def detector_for(scheme: str | None) -> Detector:
        if scheme is None:
            return default
        with loading:
            if scheme not in loaded:
                if settings.model is not None:
                    raise ApiError(
                        422,
                        "invalid_request",
                        f"scheme: this server runs the {default.scheme} model given at start; "
                        f"{scheme} is not available",
                    )
                loaded[scheme] = Detector.load(scheme=scheme, threads=threads, spin=False)
            return loaded[scheme]

    policy = settings.fetch_policy()
    fetch_page: Fetcher = fetcher or (lambda url: fetch(url, policy))
    pool = AnalysisPool(settings.api_max_concurrent, settings.api_max_waiting, settings.api_request_timeout)
    fetch_pool = AnalysisPool(
        settings.api_max_fetches, settings.api_max_fetch_waiting, settings.fetch_timeout + 5, name="fetch"
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        fetch_pool.close()

    app = FastAPI(
        title="propscope API",
        version=__version__,
        description=(
            "Find propaganda and persuasion techniques in news text. Send an article as text, HTML or a "
            "URL; get back the passages that use each of 14 techniques, with character offsets and "
            "scores, the sentences flagged and an article-level score. Errors always have the shape "
            '`{"error": {"status", "code", "message"}}`.'
        ),
        lifespan=lifespan,
        # the interactive docs pages load their scripts from a CDN, which an offline server cannot reach
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = SurrogateSafeRoute
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    _add_error_handlers(app)

    def check_size(what: str, length: int, limit: int) -> None:
        if length > limit:
            raise too_large(f"{what} has {length:,} characters, over the limit of {limit:,}; split it into parts")

    def to_article(number: int, item: AnalyzeRequest, page: Page | None) -> Article:
        """The article of one request item (extraction happens here, inside the analysis pool)."""
        if item.text is not None:
            article = Article(id=item.id or f"text-{number}", text=item.text, title=item.title, source=item.source)
        elif item.html is not None:
            article = article_from_html(item.html, item.id or f"html-{number}", title=item.title, source=item.source)
        else:
            assert item.url is not None and page is not None  # the request model guarantees exactly one input
            article = article_from_page(page, item.id or item.url, title=item.title, source=item.source)
        check_size("article text", len(article.text), settings.api_max_chars)
        return article

    async def analyse(items: Sequence[AnalyzeRequest]) -> list[Analysis]:
        """Admit, then do the work: sizes are checked before anything runs; URLs are fetched
        on their own bounded pool (waiting on the network must not hold the CPU slots that a
        plain-text request needs); extraction and analysis run on the analysis pool, under its
        admission limit and time limit."""
        for item in items:
            if item.text is not None:
                check_size("article text", len(item.text), settings.api_max_chars)
            if item.html is not None:
                check_size("html", len(item.html), settings.api_max_html_chars)
        chosen = [await asyncio.to_thread(detector_for, item.scheme) for item in items]
        try:
            configured = [
                model.with_options(
                    threshold=item.threshold, techniques=item.techniques, max_chars=settings.api_max_chars
                )
                for item, model in zip(items, chosen, strict=True)
            ]
        except ValueError as error:
            raise ApiError(422, "invalid_request", f"techniques: {error}") from None

        pages: dict[int, Page] = {}
        for number, item in enumerate(items, start=1):
            if item.url is not None:
                pages[number] = await fetch_pool.run(partial(fetch_page, item.url))
                if pages[number].content_type != "text/plain":
                    check_size("fetched page", len(pages[number].text), settings.api_max_html_chars)

        def work() -> list[Analysis]:
            return [
                chosen.analyze(to_article(number, item, pages.get(number)))
                for number, (item, chosen) in enumerate(zip(items, configured, strict=True), start=1)
            ]

        return await pool.run(work)

    @app.post("/api/v1/analyze", response_model=AnalysisOut, responses=ERRORS, tags=["analysis"])
    async def analyze(request: AnalyzeRequest) -> dict[str, Any]:
        """Analyse one article given as `text`, `html` or `url`."""
        (analysis,) = await analyse([request])
        return analysis.to_dict()

    @app.post("/api/v1/analyze/batch", response_model=BatchOut, responses=ERRORS, tags=["analysis"])
    async def analyze_batch(request: BatchRequest) -> dict[str, Any]:
        """Analyse several articles in one request; analyses come back in the order of `items`."""
        if len(request.items) > settings.api_max_batch:
            raise too_large(
                f"batch has {len(request.items)} items, over the limit of {settings.api_max_batch}; "
                "send smaller batches"
            )
        return {"analyses": [analysis.to_dict() for analysis in await analyse(request.items)]}

    @app.post(
        "/api/v1/report",
        response_class=HTMLResponse,
        responses={200: {"content": {"text/html": {}}, "description": "A self-contained HTML report."}, **JSON_ERRORS},
        tags=["analysis"],
    )
    async def report(request: AnalyzeRequest) -> HTMLResponse:
        """Analyse one article and answer the self-contained HTML report (the view the web page shows)."""
        (analysis,) = await analyse([request])
        return HTMLResponse(render_report([analysis]), headers={"Content-Security-Policy": _report_policy("'self'")})

    @app.get("/api/v1/techniques", response_model=list[TechniqueOut], tags=["reference"])
    async def list_techniques(scheme: SchemeName = techniques.DEFAULT_SCHEME) -> list[dict[str, str]]:  # type: ignore[valid-type]
        """The techniques of a scheme (default: the 14 of SemEval-2020) with their label names, titles,
        definitions, examples and colours."""
        return [t.__dict__ for t in techniques.scheme(scheme).techniques]

    @app.get("/healthz", response_model=HealthOut, tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the model is loaded and the server answers."""
        return {"status": "ok", "model_id": detector.model_id, "version": __version__}

    page_script = asset("app.js", "server")
    page = (
        jinja_environment("server/templates")
        .get_template("index.html.j2")
        .render(
            script=Markup(page_script),
            css=Markup(asset("app.css", "server")),
            version=__version__,
            model_id=detector.model_id,
            max_chars=settings.api_max_chars,
        )
    )
    page_policy = (
        f"default-src 'none'; script-src {script_hash(page_script)} {report_script_hash()}; "
        "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-src 'self' blob:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": page_policy})

    corpus = CorpusPages(settings.db)

    @app.get("/corpus", response_class=HTMLResponse, include_in_schema=False)
    async def corpus_dashboard(source: str = "", technique: str = "", since: str = "", until: str = "") -> HTMLResponse:
        filters = {"source": source, "technique": technique, "since": since, "until": until}
        page = await asyncio.to_thread(corpus.dashboard, filters)
        return HTMLResponse(page, headers={"Content-Security-Policy": inline_scripts_policy(page)})

    @app.get("/corpus/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def corpus_article(article_id: int) -> HTMLResponse:
        page = await asyncio.to_thread(corpus.article, article_id)
        return HTMLResponse(page, headers={"Content-Security-Policy": _report_policy("'self'")})

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Any]) -> Any:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    return app


def _report_policy(frame_ancestors: str = "'none'") -> str:
    """The report's policy as a response header: its own script only, and who may frame it
    (a meta element cannot say that)."""
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {report_script_hash()}; img-src data:; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
    )


def inline_scripts_policy(page: str) -> str:
    """A policy allowing exactly the inline scripts of `page` (the dashboard's Plotly charts)."""
    hashes = " ".join(script_hash(script) for script in _INLINE_SCRIPT.findall(page))
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )


_INLINE_SCRIPT = re.compile(r"<script(?: [^>]*)?>(.*?)</script>", re.DOTALL)


def _add_error_handlers(app: FastAPI) -> None:
    def answer(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
        return JSONResponse(error_body(status, code, message), status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        return answer(error.status_code, error.code, error.message, error.headers)

    @app.exception_handler(FetchError)
    async def fetch_error(_: Request, error: FetchError) -> JSONResponse:
        return answer(422, "fetch_failed", str(error))

    @app.exception_handler(InputError)
    async def input_error(_: Request, error: InputError) -> JSONResponse:
        return answer(422, "bad_input", str(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":
            return answer(422, "invalid_json", "the request body is not valid JSON; send a JSON object")
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        return answer(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}{more}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI could not decode the body at all
            return answer(400, "unreadable_body", "the request body could not be read; send UTF-8 encoded JSON")
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return answer(error.status_code, code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error while answering a request")
        return answer(500, "internal", "the server failed to answer; the error is in its log")
