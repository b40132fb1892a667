"""The REST API, driven with httpx against the ASGI app: results, limits and the error shape."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from propscope.article import Analysis, Article
from propscope.config import Settings
from propscope.detect.model import Detector
from propscope.fetch import Page
from propscope.server.app import create_app
from tests.conftest import REPO

EDITORIAL = (REPO / "examples" / "editorial.txt").read_text(encoding="utf-8")
LIMITS = Settings(api_max_chars=5_000, api_max_body_bytes=50_000, api_max_batch=3)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load(spin=False)


def fake_fetch(url: str) -> Page:
    html = "<html><head><title>Fetched</title></head><body><article><p>" + EDITORIAL + "</p></article></body></html>"
    return Page(url=url + "?final", content_type="text/html", text=html)


@pytest.fixture(scope="module")
def client(detector: Detector) -> Iterator[TestClient]:
    with TestClient(create_app(LIMITS, detector=detector, fetcher=fake_fetch)) as test_client:
        yield test_client


def error(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error response, after checking its status and the one error shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def test_analyze_text_gives_what_the_library_gives(client: TestClient, detector: Detector) -> None:
    response = client.post("/api/v1/analyze", json={"text": EDITORIAL, "title": "Harbour", "source": "Gazette"})
    assert response.status_code == 200
    expected = detector.analyze(Article(id="text-1", text=EDITORIAL, title="Harbour", source="Gazette"))
    assert response.json() == expected.to_dict()
    spans = {(s["text"], s["technique"]) for s in response.json()["spans"]}
    assert ("the spineless bureaucrats", "Name_Calling,Labeling") in spans


def test_threshold_and_technique_filter(client: TestClient) -> None:
    strict = client.post("/api/v1/analyze", json={"text": EDITORIAL, "threshold": 0.9}).json()
    assert strict["spans"] == []
    found = {s["technique"] for s in client.post("/api/v1/analyze", json={"text": EDITORIAL}).json()["spans"]}
    kept = sorted(found)[0]
    only = client.post("/api/v1/analyze", json={"text": EDITORIAL, "techniques": [kept]}).json()
    assert len(found) > 1 and {s["technique"] for s in only["spans"]} == {kept}


def test_html_and_url_inputs_keep_metadata(client: TestClient) -> None:
    page = "<html><head><title>Harbour</title><meta name='author' content='Jane Roe'></head><body><article><p>"
    analysis = client.post("/api/v1/analyze", json={"html": page + EDITORIAL + "</p></article></body></html>"}).json()
    assert (analysis["article"]["title"], analysis["article"]["author"]) == ("Harbour", "Jane Roe")
    fetched = client.post("/api/v1/analyze", json={"url": "https://news.example/harbour"}).json()
    assert fetched["article"]["url"] == "https://news.example/harbour?final"
    assert fetched["article"]["title"] == "Fetched"
    assert fetched["spans"]


def test_refused_url_says_why(detector: Detector) -> None:
    with TestClient(create_app(LIMITS, detector=detector)) as real_fetching:
        response = real_fetching.post("/api/v1/analyze", json={"url": "http://169.254.169.254/latest/meta-data/"})
    message = error(response, 422, "fetch_failed")
    assert "refused: 169.254.169.254 is a link-local address" in message


def test_batch_keeps_order_and_has_a_size_limit(client: TestClient) -> None:
    items = [{"text": EDITORIAL}, {"text": "The council meets on Tuesday.", "id": "calm"}]
    analyses = client.post("/api/v1/analyze/batch", json={"items": items}).json()["analyses"]
    assert [a["article"]["id"] for a in analyses] == ["text-1", "calm"]
    assert analyses[0]["spans"] and not analyses[1]["spans"]
    message = error(client.post("/api/v1/analyze/batch", json={"items": [{"text": "a"}] * 4}), 413, "too_large")
    assert message == "batch has 4 items, over the limit of 3; send smaller batches"


def test_size_limits_answer_413_with_the_limit(client: TestClient) -> None:
    message = error(client.post("/api/v1/analyze", json={"text": "word " * 1_200}), 413, "too_large")
    assert message == "article text has 6,000 characters, over the limit of 5,000; split it into parts"
    message = error(client.post("/api/v1/analyze", json={"text": "x" * 60_000}), 413, "too_large")
    assert message == "request body is over the limit of 50,000 bytes; send less text per request"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        yield b'{"text": "'
        for _ in range(100):
            yield b"y" * 1_000
        yield b'"}'

    streamed = client.post("/api/v1/analyze", content=chunks(), headers={"Content-Type": "application/json"})
    assert error(streamed, 413, "too_large").startswith("request body is over the limit of 50,000 bytes")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "a", "url": "https://x.example/"}, "body: Value error, give exactly one of text, html or url"),
        ({}, "body: Value error, give exactly one of text, html or url"),
        ({"text": 5}, "text: Input should be a valid string"),
        ({"text": "a", "threshold": 2}, "threshold: Input should be less than or equal to 1"),
        ({"text": "a", "techniques": ["Lies"]}, "techniques.0: Input should be "),
        ({"url": "file:///etc/passwd"}, "url: String should match pattern '^https?://'"),
        ({"text": "a", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_invalid_requests_name_the_field(client: TestClient, body: dict[str, Any], message: str) -> None:
    assert error(client.post("/api/v1/analyze", json=body), 422, "invalid_request").startswith(message)


def test_other_errors_have_the_same_shape(client: TestClient) -> None:
    bad_json = client.post("/api/v1/analyze", content=b"{not json", headers={"Content-Type": "application/json"})
    assert error(bad_json, 422, "invalid_json") == "the request body is not valid JSON; send a JSON object"
    latin1 = client.post(
        "/api/v1/analyze", content=b'{"text": "caf\xe9"}', headers={"Content-Type": "application/json"}
    )
    assert error(latin1, 400, "unreadable_body") == "the request body could not be read; send UTF-8 encoded JSON"
    assert error(client.get("/api/v1/nothing"), 404, "not_found") == "Not Found"
    assert error(client.get("/api/v1/analyze"), 405, "method_not_allowed") == "Method Not Allowed"
    no_text = client.post("/api/v1/analyze", json={"html": "<html><body></body></html>"})
    assert (
        error(no_text, 422, "bad_input")
        == "html-1: no article text found in this HTML; give the page of a single article"
    )


def test_reference_and_health(client: TestClient) -> None:
    listed = client.get("/api/v1/techniques").json()
    assert len(listed) == 14
    assert listed[0]["name"] == "Appeal_to_Authority"
    assert set(listed[0]) == {"name", "title", "definition", "example", "colour"}
    assert client.get("/healthz").json() == {"status": "ok", "model_id": "propscope-minilm", "version": "0.1.0"}


def test_openapi_documents_examples_and_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["AnalyzeRequest"]
    assert request["examples"][0]["title"] == "The Harbour Bill"
    responses = schema["paths"]["/api/v1/analyze"]["post"]["responses"]
    assert set(responses) == {"200", "400", "413", "422", "503", "504"}
    assert responses["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_report_endpoint_and_page_carry_a_strict_policy(client: TestClient) -> None:
    title = "<script>window.__pwned=1</script>"
    response = client.post("/api/v1/report", json={"text": EDITORIAL, "title": title})
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline'; ")
    assert title not in response.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in response.text
    page = client.get("/")
    assert "script-src 'sha256-" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'src="http' not in page.text and 'href="http' not in page.text  # nothing from elsewhere


class GatedDetector:
    """Stands in for the model: an analysis starts, then waits until the test opens the gate,
    so the tests wait on events and never on the clock. Peak concurrency is recorded."""

    model_id = "gated"
    scheme = "semeval2020"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)
        self.finished = threading.Semaphore(0)
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def with_options(self, **_: object) -> GatedDetector:
        return self

    def analyze(self, article: Article, **_: object) -> Analysis:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.started.release()
        try:
            assert self.gate.wait(timeout=60), "the test never opened the gate"
            return Analysis(article, (), model_id=self.model_id)
        finally:
            with self.lock:
                self.running -= 1
            self.finished.release()


async def _wait_for(semaphore: threading.Semaphore, count: int = 1) -> None:
    for _ in range(count):
        assert await asyncio.to_thread(semaphore.acquire, True, 60), "the analysis never started"


def test_excess_requests_get_503_and_concurrency_stays_bounded() -> None:
    gated = GatedDetector()
    app = create_app(Settings(api_max_concurrent=1, api_max_waiting=1), detector=gated)  # type: ignore[arg-type]

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            first = asyncio.create_task(http.post("/api/v1/analyze", json={"text": "one"}))
            await _wait_for(gated.started)  # one running, holding the only slot
            others = [asyncio.create_task(http.post("/api/v1/analyze", json={"text": f"x{n}"})) for n in range(4)]
            while sum(task.done() for task in others) < 3:  # one may wait; the other three are refused at once
                await asyncio.sleep(0.01)
            gated.gate.set()
            return [await first, *[await task for task in others]]

    responses = asyncio.run(scenario())
    assert sorted(r.status_code for r in responses) == [200, 200, 503, 503, 503]
    busy = next(r for r in responses if r.status_code == 503)
    assert busy.headers["retry-after"] == "2"
    assert error(busy, 503, "busy") == "the server is busy with other analyses; retry in a few seconds"
    assert gated.peak == 1


def test_slow_analyses_get_504_and_free_their_slot_only_when_done() -> None:
    gated = GatedDetector()
    settings = Settings(api_max_concurrent=1, api_max_waiting=0, api_request_timeout=0.2)
    app = create_app(settings, detector=gated)  # type: ignore[arg-type]

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            timed_out = await http.post("/api/v1/analyze", json={"text": "x"})
            assert error(timed_out, 504, "timeout").startswith("the analysis took longer than the limit of 0.2 s")
            # the work still runs and still holds its slot: nothing more is admitted
            assert (await http.post("/api/v1/analyze", json={"text": "y"})).status_code == 503
            gated.gate.set()
            await _wait_for(gated.finished)
            assert (await http.post("/api/v1/analyze", json={"text": "z"})).status_code == 200

    asyncio.run(scenario())


def test_the_event_loop_answers_while_analyses_run() -> None:
    gated = GatedDetector()
    app = create_app(Settings(api_max_concurrent=1), detector=gated)  # type: ignore[arg-type]

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            analysis = asyncio.create_task(http.post("/api/v1/analyze", json={"text": "x"}))
            await _wait_for(gated.started)
            assert (await http.get("/healthz")).status_code == 200  # answered while the analysis is blocked
            assert not analysis.done()
            gated.gate.set()
            assert (await analysis).status_code == 200

    asyncio.run(scenario())


def test_serve_command_starts_the_server() -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "propscope", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "propscope serve did not start"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert '<form id="analyse-form"' in page.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"propscope: serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)" in output
