"""Batch analysis of a corpus into the database, resumable and optionally on several processes.

Articles go in chunks: texts already analysed by this model (by content hash) are skipped, the
rest are analysed and the chunk is committed in one transaction. With `workers > 1` the chunks
are analysed by a pool of processes (each loads the ONNX model once, with one thread) while the
main process writes; processes are spawned, not forked, because forking a process that already
runs ONNX Runtime threads can deadlock.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from propscope.article import Analysis, Article
from propscope.detect.model import Detector
from propscope.store.schema import content_hash
from propscope.store.writer import analysed_hashes, finish_run, start_run, store_chunk

CHUNK = 16


@dataclass(frozen=True)
class BatchOptions:
    model: Path | None = None
    threshold: float | None = None
    max_chars: int = 1_000_000
    workers: int = 1


@dataclass(frozen=True)
class BatchSummary:
    run_id: int
    model_id: str
    seen: int
    analysed: int
    skipped: int
    spans: int
    seconds: float
    analysis_seconds: float
    storage_seconds: float


Progress = Callable[[int], None]

_worker_detector: dict[str, Detector] = {}


def _load_worker(model: Path | None) -> None:
    _worker_detector["detector"] = Detector.load(model, threads=1, spin=False)


def _analyse(articles: Sequence[Article], threshold: float | None, max_chars: int) -> list[Analysis]:
    detector = _worker_detector["detector"]
    return list(detector.analyze_many(articles, threshold=threshold, max_chars=max_chars))


def unstored(engine: Engine, articles: Sequence[Article], model_id: str, seen: set[str]) -> list[Article]:
    """The articles whose text neither the database (for this model) nor `seen` has yet; adds them
    to `seen`, so a text repeated in the input is analysed once."""
    hashes = [content_hash(a.text) for a in articles]
    with Session(engine) as session:
        stored = analysed_hashes(session, hashes, model_id)
    todo = []
    for article, digest in zip(articles, hashes, strict=True):
        if digest not in stored and digest not in seen:
            seen.add(digest)
            todo.append(article)
    return todo


def load_analyses(
    engine: Engine, analyses: Sequence[Analysis], model_id: str, settings: dict[str, Any]
) -> BatchSummary:
    """Store analyses made elsewhere (a Ray run) as one run, skipping texts already stored."""
    started = time.monotonic()
    run_id = start_run(engine, model_id, settings)
    seen: set[str] = set()
    for first in range(0, len(analyses), CHUNK):
        chunk = analyses[first : first + CHUNK]
        todo = {id(article) for article in unstored(engine, [a.article for a in chunk], model_id, seen)}
        store_chunk(engine, run_id, [a for a in chunk if id(a.article) in todo], len(chunk) - len(todo))
    run = finish_run(engine, run_id)
    seconds = time.monotonic() - started
    return BatchSummary(
        run_id,
        model_id,
        run.articles_seen,
        run.articles_analysed,
        run.articles_skipped,
        run.spans,
        seconds,
        0.0,
        seconds,
    )


def run_batch(engine: Engine, articles: Sequence[Article], options: BatchOptions, progress: Progress) -> BatchSummary:
    """Analyse and store `articles`; `progress(n)` is called as n more articles are done."""
    started = time.monotonic()
    detector = Detector.load(options.model, spin=options.workers == 1)
    settings = {"threshold": options.threshold, "max_chars": options.max_chars, "workers": options.workers}
    run_id = start_run(engine, detector.model_id, settings)
    timing = {"analysis": 0.0, "storage": 0.0}
    done: set[str] = set()

    def pending_chunks() -> Iterator[tuple[list[Article], int]]:
        iterator = iter(articles)
        while chunk := list(islice(iterator, CHUNK)):
            todo = unstored(engine, chunk, detector.model_id, done)
            yield todo, len(chunk) - len(todo)

    def store(analyses: list[Analysis], skipped: int) -> None:
        begun = time.monotonic()
        store_chunk(engine, run_id, analyses, skipped)
        timing["storage"] += time.monotonic() - begun
        progress(len(analyses) + skipped)

    if options.workers == 1:
        for todo, skipped in pending_chunks():
            begun = time.monotonic()
            analyses = list(detector.analyze_many(todo, threshold=options.threshold, max_chars=options.max_chars))
            timing["analysis"] += time.monotonic() - begun
            store(analyses, skipped)
    else:
        _run_pool(pending_chunks(), options, store, timing)
    run = finish_run(engine, run_id)
    return BatchSummary(
        run_id=run_id,
        model_id=detector.model_id,
        seen=run.articles_seen,
        analysed=run.articles_analysed,
        skipped=run.articles_skipped,
        spans=run.spans,
        seconds=time.monotonic() - started,
        analysis_seconds=timing["analysis"],
        storage_seconds=timing["storage"],
    )


def _run_pool(
    chunks: Iterator[tuple[list[Article], int]],
    options: BatchOptions,
    store: Callable[[list[Analysis], int], None],
    timing: dict[str, float],
) -> None:
    """Keep every worker busy with a couple of chunks in flight, and store results in input order."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(options.workers, context, initializer=_load_worker, initargs=(options.model,)) as pool:
        in_flight: deque[tuple[Future[list[Analysis]], int]] = deque()
        for todo, skipped in chunks:
            future = pool.submit(_analyse, todo, options.threshold, options.max_chars)
            in_flight.append((future, skipped))
            while len(in_flight) > 2 * options.workers:
                _collect(in_flight.popleft(), store, timing)
        while in_flight:
            _collect(in_flight.popleft(), store, timing)


def _collect(
    entry: tuple[Future[list[Analysis]], int],
    store: Callable[[list[Analysis], int], None],
    timing: dict[str, float],
) -> None:
    """Wait for the oldest chunk (counted as analysis time: the writer has nothing else to do)."""
    future, skipped = entry
    waited = time.monotonic()
    analyses = future.result()
    timing["analysis"] += time.monotonic() - waited
    store(analyses, skipped)
