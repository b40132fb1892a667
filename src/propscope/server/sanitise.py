"""Lone surrogates in JSON request bodies become U+FFFD, as everywhere else in propscope.

JSON may escape half of a UTF-16 surrogate pair (`"\\ud800"`) although no such character can be
text. Python then holds a string that no UTF-8 encoder, tokenizer or database accepts, and
pydantic refuses it in some fields but not others. propscope's rule, the same for files, the
Python API and the API, is to replace each lone surrogate by U+FFFD, one code point for one,
so offsets into the text stay valid. For request bodies that happens on the raw JSON, before
validation, by the route class below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

_ESCAPED_SURROGATE = re.compile(
    rb"(?<!\\)((?:\\\\)*)\\u(?:(d[89ab][0-9a-f]{2})(\\ud[c-f][0-9a-f]{2})?|(d[c-f][0-9a-f]{2}))", re.IGNORECASE
)


def replace_lone_surrogate_escapes(body: bytes) -> bytes:
    """The JSON text with every escaped lone surrogate replaced by the escape of U+FFFD; pairs
    and escaped backslashes are left alone."""

    def fix(match: re.Match[bytes]) -> bytes:
        backslashes, high, low_after_high = match.group(1), match.group(2), match.group(3)
        if high is not None and low_after_high is not None:
            return match.group(0)
        return backslashes + b"\\ufffd" + (low_after_high or b"")

    return _ESCAPED_SURROGATE.sub(fix, body) if b"\\u" in body or b"\\U" in body else body


class SurrogateSafeRoute(APIRoute):
    """A route whose JSON body has its lone surrogate escapes replaced before validation."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            body = await request.body()
            fixed = replace_lone_surrogate_escapes(body)
            if fixed is not body:
                request._body = fixed  # FastAPI's documented way to change the body a route reads
            return await handler(request)

        return handle
