"""Shards of a Ray batch run: which input files make up each, where its output goes, when it is done.

Files are recognised by the same suffix table as local runs (`propscope.formats.inputs`). A
shard is one JSONL, JSON or Parquet file, or a group of up to `files_per_shard` text or HTML
files (in name order). Its output lies in `OUT/articles/shard=<name>/` and `OUT/spans/shard=<name>/`
and counts only once `OUT/done/<name>.json` exists, which is written after both tables; a
rerun skips shards with that marker and clears the partial output of any other. Paths may be
local or anything pyarrow's file systems open (s3://, gs://, hdfs://).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from propscope.errors import InputError
from propscope.formats.inputs import SUFFIXES, kind_of

#: how Ray reads each kind of file of `formats.inputs.kind_of`: JSON Lines streamed by Ray Data,
#: a .json file whole (an array cannot be split), Parquet by Ray Data, articles in groups
SHARD_KINDS = {"records": "json", "table": "parquet", "text": "files", "html": "files"}


def shard_kind(path: str) -> str | None:
    kind = SHARD_KINDS.get(kind_of(path) or "")
    return "json-file" if kind == "json" and PurePosixPath(path).suffix.lower() == ".json" else kind


SPAN = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("technique", pa.string()),
        ("score", pa.float64()),
        ("text", pa.string()),
    ]
)
ARTICLES = pa.schema(
    [
        ("shard", pa.string()),
        ("id", pa.string()),
        ("title", pa.string()),
        ("source", pa.string()),
        ("author", pa.string()),
        ("published", pa.string()),
        ("url", pa.string()),
        ("text", pa.string()),
        ("content_hash", pa.string()),
        ("model_id", pa.string()),
        ("scheme", pa.string()),
        ("genre", pa.string()),
        ("genre_probabilities", pa.string()),  # JSON object
        ("frames", pa.list_(pa.string())),
        ("frame_scores", pa.string()),  # JSON object
        ("score", pa.float64()),
        ("covered_share", pa.float64()),
        ("sentences", pa.string()),
        ("spans", pa.list_(SPAN)),
    ]
)


@dataclass(frozen=True)
class Shard:
    name: str
    kind: str  # "json", "parquet" or "files"
    paths: tuple[str, ...]


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow file system and path for a URI (s3://...) or a local path (made absolute)."""
    if "://" in uri:
        try:
            found: tuple[pafs.FileSystem, str] = pafs.FileSystem.from_uri(uri)
            return found
        except (pa.ArrowInvalid, OSError) as error:
            raise InputError(f"cannot open this location ({error})", path=uri) from None
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def plan_shards(inputs: Sequence[str], files_per_shard: int = 1000) -> list[Shard]:
    """Shards for every input, in a stable order, so that a rerun finds the same names."""
    shards: list[Shard] = []
    loose: list[str] = []
    for source in inputs:
        fs, path = filesystem(source)
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            raise InputError("no such file or folder; check the path", path=source)
        found = [path] if info.type == pafs.FileType.File else _files_below(fs, path)
        prefix = source[: source.index("://") + 3] if "://" in source else ""
        for file in found:
            kind = shard_kind(file)
            full = prefix + file if prefix and not file.startswith(prefix) else file
            if kind in ("json", "json-file", "parquet"):
                shards.append(Shard(_name(PurePosixPath(file).stem, full), kind, (full,)))
            elif kind == "files":
                loose.append(full)
    loose.sort()
    for start in range(0, len(loose), files_per_shard):
        group = tuple(loose[start : start + files_per_shard])
        shards.append(Shard(_name(f"files-{start // files_per_shard:05d}", "\n".join(group)), "files", group))
    if not shards:
        raise InputError(f"no article files found ({', '.join(SUFFIXES)})", path=", ".join(inputs))
    return shards


def _files_below(fs: pafs.FileSystem, path: str) -> list[str]:
    selector = pafs.FileSelector(path, recursive=True)
    return sorted(info.path for info in fs.get_file_info(selector) if info.type == pafs.FileType.File)


def _name(stem: str, identity: str) -> str:
    """A file-system-safe shard name: the readable stem plus a hash of what the shard holds."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:60]
    return f"{safe}-{hashlib.sha1(identity.encode()).hexdigest()[:10]}"


class Output:
    """The output folder of a Ray run and its shard markers."""

    def __init__(self, uri: str):
        self.fs, self.path = filesystem(uri.rstrip("/"))
        self.uri = uri.rstrip("/") if "://" in uri else self.path
        self.fs.create_dir(self.path + "/done", recursive=True)

    def table_dir(self, table: str) -> str:
        return f"{self.uri}/{table}"

    def is_done(self, shard: Shard) -> bool:
        return bool(self.fs.get_file_info(self._marker(shard)).type == pafs.FileType.File)

    def clear(self, shard: Shard) -> None:
        """Remove what a killed run may have left of this shard."""
        for table in ("articles", "spans"):
            folder = f"{self.path}/{table}/shard={shard.name}"
            if self.fs.get_file_info(folder).type == pafs.FileType.Directory:
                self.fs.delete_dir(folder)

    def mark_done(self, shard: Shard, counts: dict[str, Any]) -> None:
        with self.fs.open_output_stream(self._marker(shard)) as stream:
            stream.write(json.dumps({"shard": shard.name, "paths": list(shard.paths), **counts}).encode())

    def done_markers(self) -> Iterator[dict[str, Any]]:
        selector = pafs.FileSelector(self.path + "/done", recursive=False)
        for info in sorted(self.fs.get_file_info(selector), key=lambda i: i.path):
            if info.path.endswith(".json"):
                with self.fs.open_input_stream(info.path) as stream:
                    yield json.loads(stream.read())

    def write_summary(self, summary: dict[str, Any]) -> None:
        self.fs.create_dir(self.path + "/runs", recursive=True)
        with self.fs.open_output_stream(f"{self.path}/runs/{summary['started']}.json") as stream:
            stream.write(json.dumps(summary, indent=2).encode())

    def _marker(self, shard: Shard) -> str:
        return f"{self.path}/done/{shard.name}.json"
