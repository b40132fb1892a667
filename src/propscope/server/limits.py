"""What keeps the server up under load and bad input: body caps, bounded concurrency, time limits.

Analyses are CPU-bound, so they run on a small thread pool and never on the event loop. A
request is admitted only while fewer than `max_concurrent + max_waiting` are in the pool;
beyond that it gets 503 at once, so a burst can neither exhaust memory nor crash the process.
A slot is released by the worker thread when its work really ends, not when its client gave up,
so the bound holds even for requests answered 504.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class ApiError(HTTPException):
    """An error answered as JSON `{"error": {"status", "code", "message"}}`.

    It is an HTTPException so that FastAPI passes it through unchanged when it is raised while
    the request body is being read (the body limit does that)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(status, message, headers)
        self.code = code
        self.message = message


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message}}


def too_large(message: str) -> ApiError:
    return ApiError(413, "too_large", message)


class BodyLimit:
    """ASGI middleware: refuse request bodies over `max_bytes`, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_json(send, 413, error_body(413, "too_large", self._message()))
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"request body is over the limit of {self.max_bytes:,} bytes; send less text per request"


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class AnalysisPool:
    """Runs blocking work on `max_concurrent` threads with a bounded queue and a time limit."""

    def __init__(self, max_concurrent: int, max_waiting: int, timeout: float, *, name: str = "analysis"):
        self.name = name
        self.max_concurrent = max_concurrent
        self.executor: ThreadPoolExecutor | None = None
        self.capacity = max_concurrent + max_waiting
        self.timeout = timeout
        self.admitted = 0
        self.lock = threading.Lock()

    async def run(self, work: Callable[[], T]) -> T:
        """The result of `work()`, or ApiError 503 when full and 504 when over the time limit."""
        with self.lock:
            if self.admitted >= self.capacity:
                raise ApiError(
                    503,
                    "busy",
                    f"the server is busy with other {'fetches' if self.name == 'fetch' else 'analyses'}; "
                    "retry in a few seconds",
                    {"Retry-After": "2"},
                )
            self.admitted += 1

        def guarded() -> T:
            try:
                return work()
            finally:
                with self.lock:
                    self.admitted -= 1

        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.max_concurrent, thread_name_prefix=f"propscope-{self.name}")
        future = asyncio.get_running_loop().run_in_executor(self.executor, guarded)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            what = "fetching the page" if self.name == "fetch" else "the analysis"
            raise ApiError(
                504, "timeout", f"{what} took longer than the limit of {self.timeout:g} s; send a shorter text"
            ) from None

    def close(self) -> None:
        """Stop the threads at application shutdown; a later request starts new ones."""
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None
