"""Batch analysis into the database: articles per second with 1 and 2 workers, and what storage costs.

    python benchmarks/batch_speed.py [--articles 1000] [--db-dir /tmp/propscope-bench]

Articles: PTC train and dev texts, repeated with a numbered last line until there are
`--articles` distinct texts (distinct content hashes, the same analysis cost). Three
measurements in one run, one after another:
- reference: `Detector.analyze_many` over all articles in this process, nothing stored;
- `propscope batch` logic (`run_batch`) with 1 worker into a fresh SQLite file, with the time
  spent in database transactions measured separately;
- the same with 2 worker processes.
Storage overhead = time in database transactions / total time of the 1-worker run. Prints one
JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope.article import Article  # noqa: E402
from propscope.detect.model import Detector  # noqa: E402
from propscope.formats.ptc import read_ptc_folder  # noqa: E402
from propscope.store.batch import BatchOptions, run_batch  # noqa: E402
from propscope.store.database import open_database  # noqa: E402


def corpus(count: int) -> list[Article]:
    ptc = Path(os.environ.get("PROPSCOPE_PTC_DIR", REPO.parent / "shared" / "data" / "ptc-semeval2020"))
    texts: list[str] = []
    for split in ("train", "dev"):
        found = read_ptc_folder(ptc / split)
        texts.extend(found.articles[a].text for a in sorted(found.articles))
    return [
        Article(id=f"bench-{n}", text=texts[n % len(texts)] + f"\n(copy {n // len(texts)})\n", source=f"outlet-{n % 7}")
        for n in range(count)
    ]


def reference(articles: list[Article]) -> float:
    detector = Detector.load()
    started = time.monotonic()
    for _ in detector.analyze_many(articles):
        pass
    return time.monotonic() - started


def batch(articles: list[Article], workers: int, folder: Path) -> dict[str, float]:
    engine = open_database(f"sqlite:///{folder / f'bench-{workers}.db'}")
    summary = run_batch(engine, articles, BatchOptions(workers=workers), lambda _: None)
    engine.dispose()
    return {
        "seconds": round(summary.seconds, 1),
        "articles_per_second": round(summary.analysed / summary.seconds, 2),
        "storage_seconds": round(summary.storage_seconds or 0.0, 2),
        "spans": summary.spans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--db-dir", type=Path, default=None)
    options = parser.parse_args()
    articles = corpus(options.articles)
    folder = options.db_dir or Path(tempfile.mkdtemp(prefix="propscope-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    alone = reference(articles)
    one = batch(articles, 1, folder)
    two = batch(articles, 2, folder)
    result = {
        "machine": describe(),
        "articles": len(articles),
        "characters": sum(len(a.text) for a in articles),
        "analysis_only": {"seconds": round(alone, 1), "articles_per_second": round(len(articles) / alone, 2)},
        "batch_1_worker": one,
        "batch_2_workers": two,
        "storage_share_of_1_worker_run": round(one["storage_seconds"] / one["seconds"], 4),
        "batch_1_worker_vs_analysis_only": round(alone / one["seconds"], 3),
        "speedup_2_workers_vs_1": round(one["seconds"] / two["seconds"], 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
