"""The Ray engine on a local Ray instance with 2 CPUs: same results as a local run, by shard,
resumable, loadable into the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from propscope.article import Analysis, Article
from propscope.detect.model import Detector
from propscope.scale.ray_engine import RayOptions, read_analyses, run_ray
from tests.conftest import run_cli
from tests.corpus_data import LOADED, corpus_records, write_jsonl

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def corpus(folder: Path) -> list[Article]:
    """JSONL (5 articles), Parquet (3) and a folder of 2 text files and 1 HTML file."""
    records = corpus_records(8)
    write_jsonl(folder / "feed.jsonl", records[:5])
    pq.write_table(pa.Table.from_pylist(records[5:]), folder / "archive.parquet")
    texts = folder / "texts"
    texts.mkdir()
    (texts / "one.txt").write_text(LOADED[0], encoding="utf-8")
    (texts / "two.txt").write_text(LOADED[3] + "\n" + LOADED[4], encoding="utf-8")
    (texts / "three.html").write_text(
        f"<html><head><title>Three</title></head><body><article><p>{LOADED[1]} {LOADED[2]}</p></article></body></html>",
        encoding="utf-8",
    )
    articles = [Article.from_dict(record) for record in records]
    return [*articles, Article(id="one", text=LOADED[0]), Article(id="two", text=LOADED[3] + "\n" + LOADED[4])]


def by_id(analyses: list[Analysis]) -> dict[str, Analysis]:
    return {a.article.id: a for a in analyses}


def test_ray_run_equals_a_local_run_and_resumes_by_shard(local_ray: None, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    articles = corpus(inputs)
    out = tmp_path / "out"
    summary = run_ray([str(inputs)], RayOptions(out=str(out), actors=2))
    assert (summary["shards"], summary["shards_done"], summary["articles"], summary["failures"]) == (3, 3, 11, [])
    stored = by_id(read_analyses(str(out)))
    assert len(stored) == 11
    local = by_id(list(Detector.load().analyze_many(articles)))
    for article_id, analysis in local.items():  # identical to the local engine, article by article
        assert stored[article_id] == analysis
    assert stored["three"].article.title == "Three"
    spans = pq.read_table(out / "spans")
    assert spans.num_rows == summary["spans"] == sum(len(a.spans) for a in stored.values())
    assert sorted(json.loads(p.read_text())["articles"] for p in (out / "done").glob("*.json")) == [3, 3, 5]
    assert len(list((out / "runs").glob("*.json"))) == 1

    again = run_ray([str(inputs)], RayOptions(out=str(out), actors=1))
    assert (again["shards_skipped"], again["shards_done"], again["articles"]) == (3, 0, 0)

    # a run killed in the middle of the JSONL shard: no marker, a partial file left behind
    marker = next(p for p in (out / "done").glob("feed-*.json"))
    marker.unlink()
    partial = next((out / "articles").glob("shard=feed-*"))
    (partial / "left-by-a-killed-run.parquet").write_bytes(b"partial")
    resumed = run_ray([str(inputs)], RayOptions(out=str(out), actors=1))
    assert (resumed["shards_skipped"], resumed["shards_done"], resumed["articles"]) == (2, 1, 5)
    assert not (partial / "left-by-a-killed-run.parquet").exists()
    assert by_id(read_analyses(str(out))) == stored


def test_cli_ray_engine_loads_the_database(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", corpus_records(4))
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    out = tmp_path / "out"
    result = run_cli("batch", str(feed), "--engine", "ray", "--out", str(out), "--db", database, "--actors", "1")
    assert result.returncode == 0, result.stderr
    assert "ray: 1 shard(s) analysed, 0 already done, 4 articles" in result.stderr
    assert "loaded 4 analyses into the database, 0 already there" in result.stderr
    exported = run_cli("export", "--db", database, "--format", "jsonl").stdout.splitlines()
    assert sorted(json.loads(line)["article"]["id"] for line in exported) == [
        "story-0",
        "story-1",
        "story-2",
        "story-3",
    ]
    missing_out = run_cli("batch", str(feed), "--engine", "ray")
    assert missing_out.returncode == 2
    assert "give --out DIR" in missing_out.stderr
