"""The Typer application: the top-level options, the settings read once, every command group."""

from __future__ import annotations

from typing import Annotated

import typer

from propscope import __version__
from propscope.cli import analyse, corpus, evaluate, review, serving, training
from propscope.cli.common import CliState, PropscopeGroup, console, read_settings

app = typer.Typer(
    name="propscope",
    cls=PropscopeGroup,
    help="Find propaganda and persuasion techniques in news text, and score detectors against gold.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"propscope {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """propscope: which passages of an article use which propaganda technique, and how sure."""
    ctx.obj = CliState(settings=read_settings(), debug=debug)


for group in (analyse, evaluate, corpus, review, training, serving):
    group.register(app)


def main() -> None:
    """Console entry point (`propscope`, `python -m propscope`)."""
    app()
