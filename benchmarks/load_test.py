"""Load test of `propscope serve`: N concurrent clients for a fixed time against a local server.

    python benchmarks/load_test.py [--clients 8] [--seconds 30] [--articles 20]

Starts the real server (`python -m propscope serve`) in its own process, waits for /healthz,
then runs N clients that each post one article after another to /api/v1/analyze until the time
is up. Articles are the first `--articles` PTC dev articles (or examples/editorial.txt when the
shared data is absent). Reference, in the same run and after the load: the same articles
analysed in this process by `Detector.analyze`, one after another, for the same time, so the
ratio shows what HTTP, JSON and the server add. Prints one JSON object; docs/BENCHMARKS.md
records it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)


def articles(count: int) -> list[str]:
    from propscope.formats.ptc import read_ptc_folder

    dev = Path(os.environ.get("PROPSCOPE_PTC_DIR", REPO.parent / "shared" / "data" / "ptc-semeval2020")) / "dev"
    if not dev.is_dir():
        return [(REPO / "examples" / "editorial.txt").read_text(encoding="utf-8")]
    corpus = read_ptc_folder(dev)
    return [corpus.articles[a].text for a in sorted(corpus.articles)[:count]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "propscope", "serve", "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


async def client(base: str, texts: list[str], offset: int, stop: float, record: list[tuple[int, float]]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        number = offset
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                response = await http.post("/api/v1/analyze", json={"text": texts[number % len(texts)]})
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            record.append((status, time.monotonic() - started))
            number += 1


async def load(base: str, texts: list[str], clients: int, seconds: float) -> tuple[list[tuple[int, float]], float]:
    record: list[tuple[int, float]] = []
    started = time.monotonic()
    stop = started + seconds
    await asyncio.gather(*(client(base, texts, n, stop, record) for n in range(clients)))
    return record, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def direct_rate(texts: list[str], seconds: float) -> float:
    from propscope.detect.model import Detector

    detector = Detector.load()
    done = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        detector.analyze(texts[done % len(texts)])
        done += 1
    return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--articles", type=int, default=20)
    options = parser.parse_args()
    texts = articles(options.articles)
    port = free_port()
    server = start_server(port)
    try:
        record, elapsed = asyncio.run(load(f"http://127.0.0.1:{port}", texts, options.clients, options.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = [seconds for status, seconds in record if status == 200]
    statuses = Counter(status for status, _ in record)
    served = len(latencies) / elapsed
    reference = direct_rate(texts, options.seconds)
    result = {
        "machine": describe(),
        "clients": options.clients,
        "seconds": round(elapsed, 1),
        "articles": len(texts),
        "mean_characters": round(statistics.mean(len(t) for t in texts)),
        "requests": len(record),
        "ok": len(latencies),
        "errors": len(record) - len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requests_per_second": round(served, 2),
        "latency_p50_seconds": round(percentile(latencies, 0.50), 3) if latencies else None,
        "latency_p95_seconds": round(percentile(latencies, 0.95), 3) if latencies else None,
        "direct_analyses_per_second": round(reference, 2),
        "server_vs_direct": round(served / reference, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
