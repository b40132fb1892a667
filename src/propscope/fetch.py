"""Fetching a web page for analysis without letting a URL reach the machine's own network.

A server that fetches URLs for its users can be turned against the network it runs in
(server-side request forgery): a URL naming a loopback, private, link-local or cloud-metadata
address, or a public name that resolves to one, or a redirect to one. So every hop is resolved
first, every resolved address must be public (or on the allow-list), and the connection goes to
the very address that was checked, never to a second DNS answer. Time and size are capped.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

from propscope import __version__
from propscope.errors import InputError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


class FetchError(InputError):
    """A URL was refused or could not be fetched; the message says which and why."""


@dataclass(frozen=True)
class FetchPolicy:
    """What a fetch may do: which non-public networks are allowed, how long and how much."""

    allow: tuple[Network, ...] = ()
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5

    @classmethod
    def from_allow_list(cls, allow: str, *, timeout: float = 10.0, max_bytes: int = 5_000_000) -> FetchPolicy:
        """Build from a comma-separated list of addresses or networks, e.g. '10.1.0.0/16,127.0.0.1'."""
        networks = []
        for item in filter(None, (part.strip() for part in allow.split(","))):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise InputError(
                    f"{item!r} is not an IP address or network; write e.g. 10.0.0.0/8", path="PROPSCOPE_FETCH_ALLOW"
                ) from None
        return cls(allow=tuple(networks), timeout=timeout, max_bytes=max_bytes)


@dataclass(frozen=True)
class Page:
    """A fetched document: the URL it finally came from, its media type and decoded text."""

    url: str
    content_type: str
    text: str
    redirects: tuple[str, ...] = field(default=())


def refusal_reason(address: Address) -> str | None:
    """Why an address is not fetched by default, or None when it is an ordinary public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "the unspecified address (it reaches this machine)"
    if address.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if address.is_private:
        return "a private network address"
    if address.is_multicast or address.is_reserved or not address.is_global:
        return "not a public internet address"
    return None


def fetch(url: str, policy: FetchPolicy) -> Page:
    """GET `url` following up to `policy.max_redirects` redirects, each hop checked afresh."""
    deadline = time.monotonic() + policy.timeout
    current = url
    hops: list[str] = []
    for _ in range(policy.max_redirects + 1):
        response_url, status, headers, body = _get_once(current, policy, deadline)
        if status in (301, 302, 303, 307, 308) and headers.get("Location"):
            hops.append(current)
            current = urljoin(current, headers["Location"])
            continue
        if status != 200:
            raise FetchError(f"the server answered HTTP {status}; check the URL", path=url)
        return Page(response_url, _media_type(headers), _decode(body, headers), tuple(hops))
    raise FetchError(f"more than {policy.max_redirects} redirects; give the final URL", path=url)


def _get_once(url: str, policy: FetchPolicy, deadline: float) -> tuple[str, int, Message, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// URLs can be fetched", path=url)
    if not parts.hostname:
        raise FetchError("the URL names no host", path=url)
    if parts.username or parts.password:
        raise FetchError("URLs with a user name or password are not fetched; remove them", path=url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("the URL's port is not a number between 0 and 65535", path=url) from None
    address = _checked_address(parts.hostname, port, policy.allow, url)
    connection = _connection(parts.scheme, parts.hostname, address, port, _remaining(deadline, url))
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.request(
            "GET",
            target,
            headers={
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "User-Agent": f"propscope/{__version__} (+offline propaganda analysis)",
                "Accept": "text/html, application/xhtml+xml, text/plain;q=0.8",
                "Accept-Encoding": "identity",
            },
        )
        response = connection.getresponse()
        headers = response.msg
        if response.status != 200:
            return url, response.status, headers, b""
        media_type = _media_type(headers)
        if media_type not in ACCEPTED_TYPES:
            raise FetchError(f"the server sent {media_type or 'no content type'}, not an HTML or text page", path=url)
        declared = headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > policy.max_bytes:
            raise FetchError(_too_large(policy.max_bytes), path=url)
        return url, response.status, headers, _read_capped(response, policy.max_bytes, deadline, url)
    except TimeoutError:
        raise FetchError(f"no complete answer within {policy.timeout:g} s; try again later", path=url) from None
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(f"could not fetch the page ({type(error).__name__}: {error})", path=url) from None
    finally:
        connection.close()


def _checked_address(host: str, port: int, allow: Sequence[Network], url: str) -> Address:
    """The address to connect to, after refusing the host if any of its addresses is forbidden."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"the host name {host!r} could not be resolved; check the URL", path=url) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        reason = refusal_reason(address)
        if reason and not any(address in network for network in allow):
            named = (
                f"{host} is {reason}" if host.strip("[]") == str(address) else f"{host} resolves to {address}, {reason}"
            )
            raise FetchError(
                f"refused: {named}; propscope does not fetch loopback, private, link-local or metadata addresses "
                "unless PROPSCOPE_FETCH_ALLOW lists them",
                path=url,
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to an address that was already checked, whatever DNS says now."""

    def __init__(self, host: str, address: Address, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As `_PinnedHTTPConnection`, with TLS verified against the host name of the URL."""

    def __init__(self, host: str, address: Address, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(scheme: str, host: str, address: Address, port: int, timeout: float) -> http.client.HTTPConnection:
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    return kind(host, address, port, timeout)


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("the time limit for fetching ran out; try again later", path=url)
    return left


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(_too_large(max_bytes), path=url)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    return f"the page is larger than the {max_bytes:,}-byte cap (PROPSCOPE_FETCH_MAX_BYTES)"


def _media_type(headers: Message) -> str:
    return headers.get_content_type() if headers.get("Content-Type") else ""


def _decode(body: bytes, headers: Message) -> str:
    charset = headers.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
