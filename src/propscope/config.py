"""The one configuration object, read from `PROPSCOPE_*` environment variables at the edge.

Only the CLI and the server build `Settings`; everything below them receives values as
arguments, so library code never reads the environment behind the caller's back.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from propscope.fetch import FetchPolicy


def _default_ptc_dir() -> Path:
    """The shared PTC data beside a checkout of the repository (../shared/data/ptc-semeval2020)."""
    return Path.cwd().parent / "shared" / "data" / "ptc-semeval2020"


class Settings(BaseSettings):
    """User-tunable settings; each field can be set as PROPSCOPE_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="PROPSCOPE_")

    ptc_dir: Path = _default_ptc_dir()
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
    #: server: most texts in one batch request
    api_max_batch: int = Field(default=16, gt=0)
    #: server: analyses running at the same time (each uses the ONNX Runtime thread pool)
    api_max_concurrent: int = Field(default=2, gt=0)
    #: server: requests that may wait for a free slot before new ones get 503
    api_max_waiting: int = Field(default=16, ge=0)
    #: server: seconds a request may take before it is answered 504
    api_request_timeout: float = Field(default=60.0, gt=0)

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy.from_allow_list(self.fetch_allow, timeout=self.fetch_timeout, max_bytes=self.fetch_max_bytes)
