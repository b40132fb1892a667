"""The one configuration object, read from `PROPSCOPE_*` environment variables at the edge.

Only the CLI and the server build `Settings`; everything below them receives values as
arguments, so library code never reads the environment behind the caller's back.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from propscope.errors import InputError
from propscope.fetch import FetchPolicy
from propscope.techniques import SEMEVAL2023

SHARED_PTC = Path("shared") / "data" / "ptc-semeval2020"
SHARED_SEMEVAL2023 = Path("shared") / "data" / "semeval2023-task3-en"


def data_candidates(relative: Path) -> list[Path]:
    """Where the shared data may lie when no setting names it: beside the current folder's
    parent (the layout of a checkout run from its root) and beside this checkout of propscope
    (so `propscope evaluate` works from any folder of a development install)."""
    checkout = Path(__file__).resolve().parents[2]
    return list(dict.fromkeys([Path.cwd().parent / relative, checkout.parent / relative]))


def find_data(setting: Path | None, relative: Path, variable: str, split: str | None = None) -> Path:
    """The data folder (and split) to use, or an InputError naming every folder looked at."""
    candidates = [setting] if setting is not None else data_candidates(relative)
    for candidate in candidates:
        folder = candidate / split if split else candidate
        if folder.is_dir():
            return folder
    looked = ", ".join(str(c / split if split else c) for c in candidates)
    raise InputError(f"no data folder found (looked for {looked}); set {variable} to the folder that holds it")


class Settings(BaseSettings):
    """User-tunable settings; each field can be set as PROPSCOPE_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="PROPSCOPE_")

    #: the PTC release (train/ and dev/); None: ../shared/data/ptc-semeval2020 as the README says
    ptc_dir: Path | None = None
    #: the SemEval-2023 Task 3 English data; None: ../shared/data/semeval2023-task3-en
    semeval2023_dir: Path | None = None
    #: model folder; None means the model shipped with propscope
    model: Path | None = None
    #: longest article accepted, in characters (memory grows with article length)
    max_chars: int = Field(default=1_000_000, gt=0)

    #: corpus database: a file path or an SQLAlchemy URL (postgresql+psycopg://user:pw@host/db)
    db: str = "sqlite:///propscope.db"

    #: comma-separated addresses or networks that URL fetching may reach although they are not
    #: public (e.g. an intranet news archive); empty means public addresses only
    fetch_allow: str = ""
    #: seconds a URL fetch may take, redirects included
    fetch_timeout: float = Field(default=10.0, gt=0)
    #: largest page fetched, in bytes
    fetch_max_bytes: int = Field(default=5_000_000, gt=0)

    #: server: largest request body, in bytes
    api_max_body_bytes: int = Field(default=2_000_000, gt=0)
    #: server: longest article text accepted by the API, in characters
    api_max_chars: int = Field(default=200_000, gt=0)
    #: server: longest HTML page (sent or fetched) whose text is extracted, in characters;
    #: checked before extraction, which takes time and memory in proportion
    api_max_html_chars: int = Field(default=1_000_000, gt=0)
    #: server: URL fetches at the same time (they wait on the network, not the CPU)
    api_max_fetches: int = Field(default=4, gt=0)
    #: server: fetches that may wait for a free slot before new ones get 503
    api_max_fetch_waiting: int = Field(default=8, ge=0)
    #: server: most texts in one batch request
    api_max_batch: int = Field(default=16, gt=0)
    #: server: analyses running at the same time (each uses the ONNX Runtime thread pool)
    api_max_concurrent: int = Field(default=2, gt=0)
    #: server: requests that may wait for a free slot before new ones get 503
    api_max_waiting: int = Field(default=16, ge=0)
    #: server: seconds a request may take before it is answered 504
    api_request_timeout: float = Field(default=60.0, gt=0)

    def ptc_folder(self, split: str | None = None) -> Path:
        """The PTC folder (or one split of it); InputError saying where it was looked for."""
        return find_data(self.ptc_dir, SHARED_PTC, "PROPSCOPE_PTC_DIR", split)

    def semeval2023_folder(self) -> Path:
        return find_data(self.semeval2023_dir, SHARED_SEMEVAL2023, "PROPSCOPE_SEMEVAL2023_DIR")

    def train_folder(self, scheme: str) -> Path:
        """Where a model of `scheme` is trained: the PTC train split, or the SemEval-2023 folder
        (its articles outside dev-ids.txt)."""
        return self.semeval2023_folder() if scheme == SEMEVAL2023.name else self.ptc_folder("train")

    def dev_folder(self, scheme: str) -> Path:
        """Where a model of `scheme` is chosen and scored: the PTC dev split, or the SemEval-2023
        folder (whose dev-ids.txt names its dev articles)."""
        return self.semeval2023_folder() if scheme == SEMEVAL2023.name else self.ptc_folder("dev")

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy.from_allow_list(self.fetch_allow, timeout=self.fetch_timeout, max_bytes=self.fetch_max_bytes)
