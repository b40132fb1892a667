"""URL fetching refuses the machine's own network (SSRF) and enforces its time and size caps."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from propscope.errors import InputError
from propscope.fetch import FetchError, FetchPolicy, fetch, refusal_reason

LOCAL = FetchPolicy(allow=(ipaddress.ip_network("127.0.0.1/32"),), timeout=3.0, max_bytes=10_000)
ARTICLE = (
    b"<html><head><title>Harbour</title></head>"
    b"<body><article><p>The spineless bureaucrats lied.</p></article></body></html>"
)


RELEASE = threading.Event()


class Handler(BaseHTTPRequestHandler):
    """Routes: /article, /text, /big, /slow, /redirect-metadata, /redirect-local, /pdf, /missing."""

    def do_GET(self) -> None:
        routes = {
            "/article": (200, "text/html; charset=utf-8", ARTICLE),
            "/text": (200, "text/plain", "Plain words, naïve.".encode()),
            "/big": (200, "text/html", b"x" * 20_000),
            "/pdf": (200, "application/pdf", b"%PDF-1.4"),
        }
        if self.path in routes:
            status, kind, body = routes[self.path]
            self._answer(status, body, {"Content-Type": kind})
        elif self.path == "/big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"y" * 20_000)
            self.close_connection = True
        elif self.path == "/slow":  # answers only when the test module ends: any client must give up first
            RELEASE.wait(timeout=120)
            self._answer(200, ARTICLE, {"Content-Type": "text/html"})
        elif self.path == "/redirect-metadata":
            self._answer(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif self.path == "/redirect-local":
            self._answer(301, b"", {"Location": "/article"})
        else:
            self._answer(404, b"no", {"Content-Type": "text/plain"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    RELEASE.set()
    httpd.shutdown()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://localhost:8000/admin", "localhost resolves to"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address (cloud metadata services live there)"),
        ("http://10.0.0.7/", "a private network address"),
        ("http://192.168.1.1/", "a private network address"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address"),
        ("http://0.0.0.0/", "the unspecified address (it reaches this machine)"),
        ("http://100.100.100.200/", "not a public internet address"),
    ],
)
def test_non_public_addresses_are_refused_by_default(url: str, reason: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(url, FetchPolicy())
    message = str(caught.value)
    assert message.startswith(f"{url}: refused: ")
    assert reason in message
    assert "PROPSCOPE_FETCH_ALLOW" in message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http:// and https:// URLs can be fetched"),
        ("ftp://example.org/a", "only http:// and https:// URLs can be fetched"),
        ("http://user:secret@example.org/", "URLs with a user name or password are not fetched"),
        ("http://example.org:99999/", "the URL's port is not a number"),
        ("http:///nohost", "the URL names no host"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetch(url, FetchPolicy())


def test_public_addresses_are_not_refused() -> None:
    assert refusal_reason(ipaddress.ip_address("93.184.215.14")) is None
    assert refusal_reason(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")) is None


def test_an_allowed_network_is_fetched(server: str) -> None:
    page = fetch(f"{server}/article", LOCAL)
    assert page.content_type == "text/html"
    assert "spineless bureaucrats" in page.text
    assert fetch(f"{server}/text", LOCAL).text == "Plain words, naïve."


def test_redirects_are_followed_and_each_hop_is_checked(server: str) -> None:
    page = fetch(f"{server}/redirect-local", LOCAL)
    assert page.url == f"{server}/article"
    assert page.redirects == (f"{server}/redirect-local",)
    with pytest.raises(FetchError, match=r"refused: 169\.254\.169\.254 is a link-local address"):
        fetch(f"{server}/redirect-metadata", LOCAL)


def test_size_cap_applies_to_declared_and_streamed_bodies(server: str) -> None:
    for path in ("/big", "/big-chunked"):
        with pytest.raises(FetchError, match="larger than the 10,000-byte cap"):
            fetch(f"{server}{path}", LOCAL)


def test_slow_servers_hit_the_time_limit(server: str) -> None:
    # the server never answers before the module ends, so only the time limit can end the fetch
    with pytest.raises(FetchError, match="no complete answer within 1 s"):
        fetch(f"{server}/slow", FetchPolicy(allow=LOCAL.allow, timeout=1.0))


def test_other_content_and_errors_are_explained(server: str) -> None:
    with pytest.raises(FetchError, match="sent application/pdf, not an HTML or text page"):
        fetch(f"{server}/pdf", LOCAL)
    with pytest.raises(FetchError, match="answered HTTP 404"):
        fetch(f"{server}/missing", LOCAL)


def test_allow_list_setting_is_parsed_and_checked() -> None:
    policy = FetchPolicy.from_allow_list(" 10.1.0.0/16, 127.0.0.1 ,")
    assert policy.allow == (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("127.0.0.1/32"))
    with pytest.raises(InputError, match="'intranet' is not an IP address or network"):
        FetchPolicy.from_allow_list("intranet")
