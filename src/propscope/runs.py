"""What a corpus run reports when it ends, the same for the local and the Ray engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ShardFailure:
    """Shards of a Ray run that failed after Ray's own retries, and why."""

    shards: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class RunSummary:
    """One batch run: what was analysed, skipped and found, and how long it took.

    `skipped` counts articles already analysed by the same model (local engine) or articles of
    shards finished by an earlier run (Ray). Engine-specific figures are None where they do not
    apply: `run_id` exists once the run is in a database, shard counts only for Ray.
    """

    engine: str
    model_id: str
    analysed: int
    skipped: int
    spans: int
    seconds: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    run_id: int | None = None
    analysis_seconds: float | None = None
    storage_seconds: float | None = None
    started: str | None = None
    shards: int | None = None
    shards_done: int | None = None
    shards_skipped: int | None = None
    failures: tuple[ShardFailure, ...] = ()

    @property
    def seen(self) -> int:
        return self.analysed + self.skipped

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["settings"] = dict(self.settings)
        data["failures"] = [asdict(f) for f in self.failures]
        return data
