"""The Ray engine against the local engine on the same articles, on this machine.

    python benchmarks/ray_speed.py [--articles 500]

Articles: the first `--articles` of PTC train and dev (as in batch_speed.py), written as 10
JSONL shards. One after another in one run: the local engine (`run_batch`, 1 worker, into a
fresh SQLite file), then the Ray engine (local Ray with all cores, from `ray.init` to the last
shard written) with 1 actor and with 2 actors (1 CPU each). Prints one JSON object;
docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))
from batch_speed import corpus  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/machine.py)

from propscope.store.batch import BatchOptions, run_batch  # noqa: E402
from propscope.store.database import open_database  # noqa: E402


def write_shards(count: int, folder: Path) -> Path:
    articles = corpus(count)
    inputs = folder / "in"
    inputs.mkdir(parents=True)
    size = -(-len(articles) // 10)
    for shard in range(10):
        with (inputs / f"part-{shard:02d}.jsonl").open("w", encoding="utf-8") as out:
            for article in articles[shard * size : (shard + 1) * size]:
                out.write(json.dumps(article.to_dict()) + "\n")
    return inputs


def local(count: int, folder: Path) -> float:
    engine = open_database(f"sqlite:///{folder / 'local.db'}")
    started = time.monotonic()
    run_batch(engine, corpus(count), BatchOptions(), lambda _: None)
    return time.monotonic() - started


def on_ray(inputs: Path, actors: int, folder: Path) -> dict[str, float]:
    import ray

    from propscope.scale.ray_engine import RayOptions, run_ray

    started = time.monotonic()
    ray.init(include_dashboard=False, log_to_driver=False)
    summary = run_ray([str(inputs)], RayOptions(out=str(folder / f"ray-{actors}"), actors=actors))
    seconds = time.monotonic() - started
    ray.shutdown()
    return {"seconds": round(seconds, 1), "articles": summary.analysed, "spans": summary.spans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="propscope-ray-bench-"))
    inputs = write_shards(options.articles, folder)
    local_seconds = local(options.articles, folder)
    one = on_ray(inputs, 1, folder)
    two = on_ray(inputs, 2, folder)
    rate = options.articles / local_seconds
    print(
        json.dumps(
            {
                "machine": describe(),
                "articles": options.articles,
                "local_engine": {"seconds": round(local_seconds, 1), "articles_per_second": round(rate, 2)},
                "ray_1_actor": one | {"articles_per_second": round(options.articles / one["seconds"], 2)},
                "ray_2_actors": two | {"articles_per_second": round(options.articles / two["seconds"], 2)},
                "ray_2_actors_time_vs_local": round(two["seconds"] / local_seconds, 3),
                "ray_2_vs_1_actor_speedup": round(one["seconds"] / two["seconds"], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
