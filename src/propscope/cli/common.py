"""What every command shares: the consoles, the settings (read once per invocation), the common
options, progress on long work, and the rule that a user's mistake is one line and exit 1.

Exit codes scripts can trust: 0 done, 1 an input could not be processed (one line on stderr
naming it), 2 wrong usage. Tracebacks appear only with `--debug`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from propscope import techniques
from propscope.config import Settings
from propscope.errors import InputError

if TYPE_CHECKING:
    from propscope.detect.model import DetectorConfig

T = TypeVar("T")

console = Console()
error_console = Console(stderr=True, markup=False, highlight=False)


@dataclass(frozen=True)
class CliState:
    """Built once by the top-level callback and handed to every command through its context."""

    settings: Settings
    debug: bool


def state(ctx: typer.Context) -> CliState:
    found = ctx.find_root().obj
    assert isinstance(found, CliState), "the propscope callback sets the state before any command runs"
    return found


def read_settings() -> Settings:
    """The settings from PROPSCOPE_* variables; a bad value is an input error naming it."""
    try:
        return Settings()
    except ValidationError as error:
        problem = error.errors()[0]
        name = "PROPSCOPE_" + "_".join(str(part) for part in problem["loc"]).upper()
        raise InputError(f"{problem['msg']}; fix or unset it", path=name) from None


class PropscopeGroup(TyperGroup):
    """The command group: turns the errors a user can fix into one line on stderr and exit 1."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except (InputError, OSError, ModuleNotFoundError) as error:
            if isinstance(ctx.obj, CliState) and ctx.obj.debug:
                raise
            error_console.print(f"error: {_one_line(error)}", soft_wrap=True)
            ctx.exit(1)


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and not isinstance(error, InputError) and error.strerror:
        return f"{error.filename or ''}: {error.strerror}"
    return str(error)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def warn(message: str) -> None:
    error_console.print(f"warning: {message}", soft_wrap=True)


def progress_over(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """`items`, with a Rich progress bar on stderr while it is a terminal (never in pipes,
    files or CI logs, where it would only be noise)."""
    if not error_console.is_terminal:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=error_console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)


def technique_names(values: Sequence[str] | None, scheme: str | None = None) -> tuple[str, ...] | None:
    """--techniques values (repeated or comma-separated) as names of `scheme` (default: the
    shipped model's); wrong usage for an unknown one."""
    if not values:
        return None
    chosen = scheme or techniques.DEFAULT_SCHEME
    try:
        return techniques.scheme(chosen).parse_names(values)
    except ValueError as error:
        message = str(error).split(";")[0]
        hint = "" if chosen == techniques.DEFAULT_SCHEME else f" --scheme {chosen}"
        raise typer.BadParameter(
            f"{message}; run 'propscope techniques{hint}' for the names", param_hint="--techniques"
        ) from None


def require_one_of(value: str, choices: Collection[str], option: str) -> None:
    """A usage error naming `option` and its choices unless `value` is one of them."""
    if value not in choices:
        raise typer.BadParameter(f"expected one of: {', '.join(choices)}", param_hint=option)


def scheme_name(value: str | None, model: Path | None = None) -> str:
    """The scheme a command works in: --scheme as given (checked), else that of the --model
    folder, else the shipped default."""
    if value is not None:
        require_one_of(value, techniques.SCHEMES, "--scheme")
        return value
    described = model / "propscope-model.json" if model is not None else None
    if described is not None and described.is_file():
        try:
            return str(json.loads(described.read_text(encoding="utf-8")).get("scheme", techniques.DEFAULT_SCHEME))
        except (ValueError, OSError):
            pass  # loading the model reports a damaged folder properly
    return techniques.DEFAULT_SCHEME


def detector_config(
    ctx: typer.Context,
    model: Path | None,
    threshold: float | None,
    only: Sequence[str] | None,
    max_chars: int | None,
    scheme: str | None,
) -> DetectorConfig:
    """The detector the options describe; technique names are checked against its scheme."""
    from propscope.detect.model import DetectorConfig

    settings = state(ctx).settings
    chosen_model = model or settings.model
    chosen_scheme = scheme_name(scheme, chosen_model)
    return DetectorConfig(
        model=chosen_model,
        threshold=threshold,
        techniques=technique_names(only, chosen_scheme),
        max_chars=max_chars or settings.max_chars,
        scheme=chosen_scheme,
    )


ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model folder. Default: PROPSCOPE_MODEL, else the shipped model.")
]
ThresholdOption = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Smallest span score shown, in [0, 1]; lower finds more. A score is the probability that "
        "annotators marked the passage. Default: tuned on dev.",
    ),
]
TechniquesOption = Annotated[
    list[str] | None,
    typer.Option("--techniques", help="Keep only these techniques (label names; repeat or comma-separate)."),
]
MaxCharsOption = Annotated[int | None, typer.Option(min=1, help="Refuse longer articles. Default 1,000,000.")]
SchemeOption = Annotated[
    str | None,
    typer.Option(
        help="semeval2020: the 14 PTC techniques (the default model); semeval2023: 23 techniques plus the "
        "article's genre and frames (the shipped SemEval-2023 model unless --model says otherwise)."
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database: a file path, sqlite:///file.db or postgresql+psycopg://user:pw@host/db. "
        "Default: PROPSCOPE_DB, else propscope.db here.",
    ),
]
SinceOption = Annotated[str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option(help="Only articles published on or before this date (YYYY-MM-DD).")]
SourceOption = Annotated[str | None, typer.Option("--source", help="Only this outlet.")]
ModelIdOption = Annotated[
    str | None, typer.Option("--model-id", help="Analyses of this model id. Default: the newest model in the database.")
]
