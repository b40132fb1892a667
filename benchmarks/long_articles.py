"""Analysis time and memory as articles grow, up to the 1,000,000-character limit.

    python benchmarks/long_articles.py [--sizes 100000 200000 400000 1000000]

Each size runs in a fresh process (so peak memory is its own): the seed article repeated up to
the size, analysed once after loading the model. Prints one JSON object with seconds, seconds
per 100,000 characters (flat when the cost is linear) and peak RSS per size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

SEED = REPO.parent / "shared" / "examples" / "seed-article.txt"


def measure(size: int) -> dict[str, float]:
    from propscope.detect.model import Detector

    text = SEED.read_text(encoding="utf-8")
    article = ((text + "\n") * (size // len(text) + 1))[:size]
    detector = Detector.load(max_chars=size)
    started = time.perf_counter()
    analysis = detector.analyze(article)
    seconds = time.perf_counter() - started
    return {
        "characters": size,
        "seconds": round(seconds, 2),
        "seconds_per_100k_characters": round(seconds * 100_000 / size, 2),
        "spans": len(analysis.spans),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 200_000, 400_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    rows = []
    for size in args.sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True
        ).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    smallest, largest = rows[0], rows[-1]
    print(
        json.dumps(
            {
                "machine": describe(),
                "sizes": rows,
                "time_ratio_largest_to_smallest": round(largest["seconds"] / smallest["seconds"], 2),
                "size_ratio_largest_to_smallest": round(largest["characters"] / smallest["characters"], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
