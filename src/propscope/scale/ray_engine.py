"""The Ray engine of `propscope batch`: Ray Data reads the corpus, a pool of actors analyses it
(each loads the ONNX model once), and Parquet is written by shard.

Pending shards are processed in waves; each wave is one Ray Data job (read, `map_batches` on the
actor pool, write both tables partitioned by shard) and its shards are marked done when the job
has finished. A killed run therefore loses at most the wave in flight, and a rerun skips every
shard marked done. Ray retries failed tasks and restarts failed actors on its own. The analysis
is the same code, model and settings as a local run, so the results are identical.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from propscope.article import Analysis, Article
from propscope.detect.model import DetectorConfig
from propscope.formats.files import decode_text
from propscope.formats.inputs import article_id, headline, kind_of, records_of
from propscope.formats.records import article_from_record
from propscope.runs import RunSummary, ShardFailure
from propscope.scale.rows import analyses_table, spans_table
from propscope.scale.shards import Output, Shard, plan_shards


@dataclass(frozen=True)
class RayOptions:
    """Where the output goes, which cluster and how it is used; the detector to run."""

    out: str
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    address: str | None = None
    actors: int | None = None
    cpus_per_actor: int = 1
    batch_size: int = 16
    shards_per_wave: int | None = None
    files_per_shard: int = 1000
    #: show Ray's own log lines, warnings and progress bars (quiet by default)
    verbose: bool = False


#: Ray CPUs that a read or record-conversion task asks for: they are light, and must be able to
#: run while the analysing actors hold the cores
READ_CPUS = 0.1
#: share of its cores an analysing actor reserves in Ray's accounting (it still runs
#: cpus_per_actor threads): a pool as large as the cluster must leave room for the tasks that
#: feed it, and Ray Data's Parquet file listing asks for a whole CPU, or the job stalls
ACTOR_RESERVATION = 0.5


def _key(path: str) -> str:
    """Ray reports paths without the scheme; compare shard paths the same way."""
    return path.split("://", 1)[-1]


def analyser_class(detector: DetectorConfig, threads: int, shards: dict[str, str]) -> type:
    """The Ray Data actor class for one wave: it loads the model once, then analyses batches of
    input rows. Its settings travel inside the class (pickled with it), not as constructor
    arguments, which Ray would keep in the object store and could lose before an actor restart."""

    class Analyser:
        def __init__(self) -> None:
            self.detector = detector.load(threads=threads, spin=False)

        def __call__(self, batch: pa.Table) -> pa.Table:
            articles: list[Article] = []
            names: list[str] = []
            for row in batch.to_pylist():
                articles.append(article_from_record(json.loads(row["record"]), row["path"]))
                names.append(shards[_key(row["path"])])
            analyses: list[Analysis] = list(self.detector.analyze_many(articles))
            return analyses_table(analyses, names)

    return Analyser


RECORDS = pa.schema([("path", pa.string()), ("record", pa.string())])


def _json_file_records(batch: pa.Table) -> pa.Table:
    """The records of whole .json files (an array, one object or JSON Lines), parsed as a local
    run parses them."""
    rows = []
    for row in batch.to_pylist():
        path = str(row["path"])
        for _, record in records_of(decode_text(row["bytes"], path), path):
            rows.append({"path": path, "record": json.dumps(record)})
    return pa.Table.from_pylist(rows, schema=RECORDS)


def _as_records(batch: pa.Table) -> pa.Table:
    """Rows of any input kind as (path, JSON record), so that one actor pool takes them all.

    Whole files become the record a local run makes of them (same id, same title), so both
    engines analyse exactly the same articles."""
    rows = []
    for row in batch.to_pylist():
        path = str(row.pop("path"))
        if "bytes" in row:  # a whole file
            text = decode_text(row["bytes"], path)
            if kind_of(path) == "html":
                row = {"id": article_id(path), "html": text}
            else:
                row = {"id": article_id(path), "text": text, "title": headline(text)}
        rows.append({"path": path, "record": json.dumps({k: v for k, v in row.items() if v is not None}, default=str)})
    return pa.Table.from_pylist(rows, schema=RECORDS)


def quiet_ray() -> None:
    """Keep Ray to errors that matter: its INFO lines, progress logs, deprecation warnings of
    its own internals and core-worker notes would otherwise bury the run's one-line summary."""
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")  # read when ray.data is first imported
    for name in ("ray", "ray.data"):  # for when it already was
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ray(\.|$)")
    warnings.filterwarnings("ignore", message=r".*deprecated.*", module=r"ray(\.|$)")


def default_actors(cpus_per_actor: int) -> int:
    import ray

    cpus = float(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
    return max(1, int(cpus // cpus_per_actor))


def run_ray(inputs: Sequence[str], options: RayOptions) -> RunSummary:
    """Run the batch on Ray (connecting or starting as `options.address` says); the summary."""
    import ray

    if not options.verbose:
        quiet_ray()
    if not ray.is_initialized():
        ray.init(
            address=options.address,
            include_dashboard=False,
            log_to_driver=options.verbose,
            logging_level=logging.INFO if options.verbose else logging.ERROR,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = options.verbose
    context.enable_operator_progress_bars = options.verbose
    context.enable_auto_log_stats = False
    # Ray Data splits a reserved share of the cluster between operators; with several small
    # read operators and a pool that fills the cores, the reads' shares round down to nothing
    # and the job stalls. The budget is shared instead: reads ask for little, actors for the rest.
    ray.data.DataContext.get_current().op_resource_reservation_enabled = False
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    output = Output(options.out)
    shards = plan_shards(inputs, options.files_per_shard)
    pending = [shard for shard in shards if not output.is_done(shard)]
    actors = options.actors or default_actors(options.cpus_per_actor)
    wave_size = options.shards_per_wave or 4 * actors
    model_id = options.detector.load().model_id
    skipped = sum(
        marker.get("articles", 0) for marker in output.done_markers() if marker["shard"] in done_names(shards, pending)
    )
    analysed = spans_found = shards_done = 0
    failures: list[ShardFailure] = []
    for first in range(0, len(pending), wave_size):
        wave = pending[first : first + wave_size]
        try:
            counts = _run_wave(wave, output, options, actors)
        except Exception as error:  # Ray already retried; record which shards failed and stop
            failures.append(ShardFailure(tuple(s.name for s in wave), f"{type(error).__name__}: {error}"))
            break
        for shard in wave:
            articles, spans = counts.get(shard.name, (0, 0))
            output.mark_done(shard, {"articles": articles, "spans": spans, "model_id": model_id})
            shards_done += 1
            analysed += articles
            spans_found += spans
    summary = RunSummary(
        engine="ray",
        model_id=model_id,
        analysed=analysed,
        skipped=skipped,
        spans=spans_found,
        seconds=round(time.monotonic() - started, 2),
        settings=ray_settings(options, actors),
        started=started_at,
        shards=len(shards),
        shards_done=shards_done,
        shards_skipped=len(shards) - len(pending),
        failures=tuple(failures),
    )
    output.write_summary(summary.to_dict())
    return summary


def done_names(shards: Sequence[Shard], pending: Sequence[Shard]) -> set[str]:
    waiting = {shard.name for shard in pending}
    return {shard.name for shard in shards if shard.name not in waiting}


def ray_settings(options: RayOptions, actors: int) -> dict[str, Any]:
    """The run's settings as stored with it (JSON-ready)."""
    detector = options.detector
    return {
        "model": str(detector.model) if detector.model else None,
        "threshold": detector.threshold,
        "techniques": list(detector.techniques) if detector.techniques else None,
        "max_chars": detector.max_chars,
        "address": options.address,
        "actors": actors,
        "cpus_per_actor": options.cpus_per_actor,
        "batch_size": options.batch_size,
        "files_per_shard": options.files_per_shard,
    }


def _run_wave(wave: list[Shard], output: Output, options: RayOptions, actors: int) -> dict[str, tuple[int, int]]:
    """One Ray Data job for these shards; (articles, spans) per shard name."""
    import ray

    for shard in wave:
        output.clear(shard)
    names = {_key(path): shard.name for shard in wave for path in shard.paths}
    parts = []
    for kind in ("json", "json-file", "parquet", "files"):
        paths = [path for shard in wave if shard.kind == kind for path in shard.paths]
        if not paths:
            continue
        if kind == "json":
            source = ray.data.read_json(paths, lines=True, include_paths=True, num_cpus=READ_CPUS)
        elif kind == "parquet":
            source = ray.data.read_parquet(paths, include_paths=True, num_cpus=READ_CPUS)
        else:
            source = ray.data.read_binary_files(paths, include_paths=True, num_cpus=READ_CPUS)
        convert = _json_file_records if kind == "json-file" else _as_records
        parts.append(source.map_batches(convert, batch_format="pyarrow", num_cpus=READ_CPUS))
    records = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    analysed = records.map_batches(
        analyser_class(options.detector, options.cpus_per_actor, names),
        batch_size=options.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=options.cpus_per_actor * ACTOR_RESERVATION,
    )  # Ray Data restarts failed actors and retries their tasks by default
    analysed = analysed.materialize()
    analysed.write_parquet(output.table_dir("articles"), partition_cols=["shard"])
    analysed.map_batches(spans_table, batch_format="pyarrow", num_cpus=READ_CPUS).write_parquet(
        output.table_dir("spans"), partition_cols=["shard"]
    )
    counts: dict[str, tuple[int, int]] = {}
    for batch in analysed.iter_batches(batch_format="pyarrow", batch_size=4096):
        lengths = pc.list_value_length(batch.column("spans")).to_pylist()
        for shard, length in zip(batch.column("shard").to_pylist(), lengths, strict=True):
            articles, spans = counts.get(shard, (0, 0))
            counts[shard] = (articles + 1, spans + length)
    return counts


def read_analyses(out: str) -> list[Analysis]:
    """Every analysis of the finished shards of a Ray run, in shard and row order."""
    import pyarrow.dataset as pads

    from propscope.scale.rows import analysis_from_row

    output = Output(out)
    done = {marker["shard"] for marker in output.done_markers()}
    if not done:
        return []
    dataset = pads.dataset(output.path + "/articles", filesystem=output.fs, format="parquet", partitioning="hive")
    table = dataset.to_table(filter=pc.field("shard").isin(sorted(done)))
    order = pc.sort_indices(table, sort_keys=[("shard", "ascending")])
    return [analysis_from_row(row) for row in table.take(order).to_pylist()]
