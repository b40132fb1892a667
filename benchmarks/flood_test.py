"""A plain-text request's latency while other clients flood the server with HTML and slow URLs.

    python benchmarks/flood_test.py [--seconds 30] [--html-clients 12] [--url-clients 12]

Starts the real server (`python -m propscope serve`) and a deliberately slow web server on
loopback (it answers after 8 s; PROPSCOPE_FETCH_ALLOW lets propscope fetch from it). First, as
the reference in the same run, a probe posts a short text once a second with nothing else
going on; then the same probe runs while `--html-clients` post 1.9 MB HTML pages (over the
HTML limit) and `--url-clients` post URLs of the slow server, one after another, for
`--seconds`. Prints the probe's latency (median, p95, max) both ways, the flood's status
codes, and the server's memory (RSS) before, at its peak and after. docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import free_port  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/machine.py)

PROBE = {"text": "The council meets on Tuesday. Critics call the plan a shameful betrayal."}
PARAGRAPH = "<p>" + "Cowardly lies from the elites. " * 60 + "</p>"
BIG_HTML = "<html><body><article>" + PARAGRAPH * 1000 + "</article></body></html>"  # 1.9 MB


class Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(8)
        body = b"<html><body><article><p>Slow news about a shameful plan.</p></article></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def probe(base: str, seconds: float) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = await http.post("/api/v1/analyze", json=PROBE)
            assert response.status_code == 200, response.text
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    return latencies


async def flood(base: str, body: dict[str, str], seconds: float, statuses: Counter[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                statuses[(await http.post("/api/v1/analyze", json=body)).status_code] += 1
            except httpx.TransportError:
                statuses[0] += 1


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "median_seconds": round(statistics.median(ordered), 3),
        "p95_seconds": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max_seconds": round(ordered[-1], 3),
    }


async def scenario(base: str, slow_url: str, args: argparse.Namespace, server_pid: int) -> dict[str, object]:
    calm = await probe(base, 10)
    statuses: Counter[int] = Counter()
    peak = {"rss": rss_mb(server_pid)}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            peak["rss"] = max(peak["rss"], rss_mb(server_pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    floods = [flood(base, {"html": BIG_HTML}, args.seconds, statuses) for _ in range(args.html_clients)]
    floods += [flood(base, {"url": slow_url}, args.seconds, statuses) for _ in range(args.url_clients)]
    probing = asyncio.create_task(probe(base, args.seconds))
    await asyncio.gather(*floods)
    flooded = await probing
    stop.set()
    return {"calm": summary(calm), "flooded": summary(flooded), "statuses": dict(statuses), "peak_rss_mb": peak["rss"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--html-clients", type=int, default=12)
    parser.add_argument("--url-clients", type=int, default=12)
    args = parser.parse_args()
    slow_port, port = free_port(), free_port()
    slow = ThreadingHTTPServer(("127.0.0.1", slow_port), Slow)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    env = {**os.environ, "PROPSCOPE_FETCH_ALLOW": "127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "propscope", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        before = rss_mb(server.pid)
        result = asyncio.run(scenario(base, f"http://127.0.0.1:{slow_port}/story", args, server.pid))
        time.sleep(2)
        result |= {"rss_before_mb": before, "rss_after_mb": rss_mb(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)
        slow.shutdown()
    result["machine"] = describe()
    result["flood"] = {"html_clients": args.html_clients, "url_clients": args.url_clients, "seconds": args.seconds}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
