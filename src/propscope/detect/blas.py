"""One BLAS thread while propscope decodes an article.

The heads that judge and name passages (span head, naming head, passage check, triage) are
small matrix products that numpy hands to its BLAS, which splits each over every core and
then keeps its threads spinning for a while in case more work comes. On 2 cores those spinning
threads take turns from ONNX Runtime's, which are reading the next passages: with one BLAS
thread the detector read PTC dev about 1.1 times as fast, with the same spans and scores
(`docs/BENCHMARKS.md`, "Passage triage, one BLAS thread while decoding, articles side by
side"). The limit holds only while an article is decoded and is lifted when the last of any
decodings running at once in other threads ends, so a program that uses numpy itself keeps
its own setting between analyses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from threadpoolctl import threadpool_limits


class SharedBlasLimit:
    """A BLAS thread limit that several threads may hold at once: the first to enter sets it,
    the last to leave restores what was there before (nested `threadpool_limits` contexts from
    several threads would each restore what the previous one had set, and could leave it set)."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._holders = 0
        self._limits: Any = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._limits = threadpool_limits(self._threads, user_api="blas")
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._limits.restore_original_limits()


_ONE_THREAD = SharedBlasLimit(1)


def one_blas_thread() -> AbstractContextManager[None]:
    """Hold numpy's BLAS to one thread for the `with` block."""
    return _ONE_THREAD.held()
