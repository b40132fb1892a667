"""The one configuration object, read from `PROPSCOPE_*` environment variables at the edge.

Only the CLI and the server build `Settings`; everything below them receives values as
arguments, so library code never reads the environment behind the caller's back.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_chars: int = 1_000_000
