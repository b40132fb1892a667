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
    assert (summary.shards, summary.shards_done, summary.analysed, summary.failures) == (3, 3, 11, ())
    stored = by_id(read_analyses(str(out)))
    assert len(stored) == 11
    local = by_id(list(Detector.load().analyze_many(articles)))
    for article_id, analysis in local.items():  # identical to the local engine, article by article
        assert stored[article_id] == analysis
    assert stored["three"].article.title == "Three"
    spans = pq.read_table(out / "spans")
    assert spans.num_rows == summary.spans == sum(len(a.spans) for a in stored.values())
    assert sorted(json.loads(p.read_text())["articles"] for p in (out / "done").glob("*.json")) == [3, 3, 5]
    assert len(list((out / "runs").glob("*.json"))) == 1

    again = run_ray([str(inputs)], RayOptions(out=str(out), actors=1))
    assert (again.shards_skipped, again.shards_done, again.analysed, again.skipped) == (3, 0, 0, 11)

    # a run killed in the middle of the JSONL shard: no marker, a partial file left behind
    marker = next(p for p in (out / "done").glob("feed-*.json"))
    marker.unlink()
    partial = next((out / "articles").glob("shard=feed-*"))
    (partial / "left-by-a-killed-run.parquet").write_bytes(b"partial")
    resumed = run_ray([str(inputs)], RayOptions(out=str(out), actors=1))
    assert (resumed.shards_skipped, resumed.shards_done, resumed.analysed) == (2, 1, 5)
    assert not (partial / "left-by-a-killed-run.parquet").exists()
    assert by_id(read_analyses(str(out))) == stored


def test_cli_ray_engine_loads_the_database(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", corpus_records(4))
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    out = tmp_path / "out"
    result = run_cli("batch", str(feed), "--engine", "ray", "--out", str(out), "--db", database, "--actors", "1")
    assert result.returncode == 0, result.stderr
    # quiet by default: Ray's logs and warnings only with --verbose; one core-worker note of Ray's own
    # C++ runtime (about actor restarts) is not ours to silence
    lines = [line for line in result.stderr.splitlines() if "core_worker.cc" not in line]
    assert lines[0].startswith("ray: 1 shard(s) analysed, 0 already done, 4 articles")
    assert lines[1].endswith("loaded 4 analyses into the database, 0 already there")
    assert len(lines) == 2 and len(result.stderr.splitlines()) <= 3, result.stderr
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


def mixed_folder(folder: Path) -> None:
    """One folder of every input kind: PTC-named text, plain text, HTML, XHTML, JSONL, a JSON array, Parquet."""
    folder.mkdir()
    records = corpus_records(6)
    (folder / "article730093263.txt").write_text("The Headline\n\n" + LOADED[0], encoding="utf-8")
    (folder / "notes.txt").write_text(LOADED[1], encoding="utf-8")
    page = "<html><head><title>{}</title></head><body><article><p>{}</p></article></body></html>"
    (folder / "page.html").write_text(page.format("Page", LOADED[2] + " " + LOADED[3]), encoding="utf-8")
    (folder / "page2.xhtml").write_text(page.format("Xhtml", LOADED[4] + " " + LOADED[1]), encoding="utf-8")
    write_jsonl(folder / "feed.jsonl", records[:2])
    (folder / "array.json").write_text(json.dumps(records[2:4]), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(records[4:]), folder / "archive.parquet")


def test_local_and_ray_engines_read_one_mixed_folder_alike(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    mixed_folder(folder)
    local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
    local = run_cli("batch", str(folder), "--db", str(local_db))
    assert local.returncode == 0, local.stderr
    remote = run_cli(
        "batch", str(folder), "--engine", "ray", "--out", str(tmp_path / "out"), "--db", str(ray_db), "--actors", "1"
    )
    assert remote.returncode == 0, remote.stderr

    def stored(database: Path) -> dict[str, tuple[str, str | None, int]]:
        lines = run_cli("export", "--db", str(database), "--format", "jsonl").stdout.splitlines()
        analyses = [json.loads(line) for line in lines]
        return {a["article"]["id"]: (a["article"]["text"], a["article"]["title"], len(a["spans"])) for a in analyses}

    from_local = stored(local_db)
    assert sorted(from_local) == sorted(
        ["730093263", "notes", "page", "page2", "story-0", "story-1", "story-2", "story-3", "story-4", "story-5"]
    )
    assert from_local["730093263"][1] == "The Headline"  # article<ID>.txt has id <ID>, its first line the title
    assert stored(ray_db) == from_local
