"""Batch analysis of a corpus into the database, resumable and optionally on several processes.

Articles go in chunks: texts already analysed by this model (by content hash) are skipped, the
rest are analysed and the chunk is committed in one transaction. With `workers > 1` the chunks
are analysed by a pool of processes (each loads the ONNX model once, with one thread) while the
main process writes; processes are spawned, not forked, because forking a process that already
runs ONNX Runtime threads can deadlock.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from propscope.article import Analysis, Article
from propscope.detect.model import Detector, DetectorConfig
from propscope.runs import RunSummary
from propscope.store.schema import content_hash
from propscope.store.writer import analysed_hashes, finish_run, start_run, store_chunk

CHUNK = 16


@dataclass(frozen=True)
class BatchOptions:
    """The detector to run (model folder and options) and how many processes run it."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    workers: int = 1


Progress = Callable[[int], None]

_worker_detector: dict[str, Detector] = {}


def _load_worker(config: DetectorConfig, parent: int) -> None:
    die_with_parent(parent)
    _worker_detector["detector"] = config.load(threads=1, spin=False)


def die_with_parent(parent: int) -> None:
    """Make this worker process end when its parent does, even by SIGKILL, which no handler
    sees: the kernel sends SIGKILL on the parent's death (Linux), and a watcher thread notices a
    new parent elsewhere. Orphaned workers would otherwise hold hundreds of MB each forever."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="propscope-parent-watch", daemon=True).start()


def _analyse(articles: Sequence[Article]) -> list[Analysis]:
    return list(_worker_detector["detector"].analyze_many(articles))


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
    engine: Engine, analyses: Sequence[Analysis], model_id: str, settings: dict[str, Any], *, made_by: str = "ray"
) -> RunSummary:
    """Store analyses made elsewhere (by `made_by`, e.g. a Ray run) as one run, skipping texts
    already stored."""
    started = time.monotonic()
    run_id = start_run(engine, model_id, settings)
    seen: set[str] = set()
    for first in range(0, len(analyses), CHUNK):
        chunk = analyses[first : first + CHUNK]
        todo = {id(article) for article in unstored(engine, [a.article for a in chunk], model_id, seen)}
        store_chunk(engine, run_id, [a for a in chunk if id(a.article) in todo], len(chunk) - len(todo))
    run = finish_run(engine, run_id)
    seconds = time.monotonic() - started
    return RunSummary(
        engine=made_by,
        model_id=model_id,
        analysed=run.articles_analysed,
        skipped=run.articles_skipped,
        spans=run.spans,
        seconds=seconds,
        settings=settings,
        run_id=run_id,
        analysis_seconds=0.0,
        storage_seconds=seconds,
    )


def run_batch(engine: Engine, articles: Sequence[Article], options: BatchOptions, progress: Progress) -> RunSummary:
    """Analyse and store `articles`; `progress(n)` is called as n more articles are done."""
    started = time.monotonic()
    detector = options.detector.load(spin=options.workers == 1)
    settings = {
        "threshold": options.detector.threshold,
        "techniques": list(options.detector.techniques) if options.detector.techniques else None,
        "max_chars": options.detector.max_chars,
        "workers": options.workers,
    }
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
            analyses = list(detector.analyze_many(todo))
            timing["analysis"] += time.monotonic() - begun
            store(analyses, skipped)
    else:
        _run_pool(pending_chunks(), options, store, timing)
    run = finish_run(engine, run_id)
    return RunSummary(
        engine="local",
        model_id=detector.model_id,
        analysed=run.articles_analysed,
        skipped=run.articles_skipped,
        spans=run.spans,
        seconds=time.monotonic() - started,
        settings=settings,
        run_id=run_id,
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
    with ProcessPoolExecutor(
        options.workers, context, initializer=_load_worker, initargs=(options.detector, os.getpid())
    ) as pool:
        in_flight: deque[tuple[Future[list[Analysis]], int]] = deque()
        for todo, skipped in chunks:
            future = pool.submit(_analyse, todo)
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
