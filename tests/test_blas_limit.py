"""numpy's BLAS is held to one thread while an article is decoded, and given back after."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from propscope.detect.blas import SharedBlasLimit


def blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_the_limit_holds_while_any_decoding_holds_it_and_then_restores_the_callers_setting() -> None:
    limit = SharedBlasLimit(1)
    with threadpool_limits(3, user_api="blas"):  # the caller's own setting
        assert blas_threads() == {3}
        first, second = limit.held(), limit.held()  # two decodings overlapping, as two threads run them
        first.__enter__()
        second.__enter__()
        assert blas_threads() == {1}
        first.__exit__(None, None, None)  # the first to start ends first: the other still decodes
        assert blas_threads() == {1}
        second.__exit__(None, None, None)
        assert blas_threads() == {3}


def test_a_failing_decoding_gives_the_setting_back_too() -> None:
    limit = SharedBlasLimit(1)
    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(ValueError), limit.held():
            raise ValueError("bad article")
        assert blas_threads() == {2}


def test_the_runtime_decodes_with_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from propscope.detect import runtime as runtime_module
    from propscope.detect.runtime import ModelRuntime

    seen: list[set[int]] = []
    monkeypatch.setattr(runtime_module, "find_spans", lambda *args: seen.append(blas_threads()) or [])
    runtime = ModelRuntime.load(threads=1)
    with threadpool_limits(2, user_api="blas"):
        assert runtime.spans("Cowards flee.", runtime.encode_many(["Cowards flee."])[0]) == []
        assert seen == [{1}] and blas_threads() == {2}
