"""Commands for human review in Label Studio: label-studio config, import-annotations.

The round trip: `propscope export --format label-studio` (or `analyze --format label-studio`)
writes tasks with the model's spans as pre-annotations; people correct them in Label Studio;
`propscope import-annotations` turns Label Studio's JSON export into a PTC folder that
`evaluate --gold` and `train --train-dir` read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from propscope import techniques
from propscope.cli.common import error_console

label_studio_app = typer.Typer(help="Human review of the model's findings in Label Studio.", no_args_is_help=True)


@label_studio_app.command("config")
def config(
    scheme: Annotated[str, typer.Option(help="semeval2020 (14 techniques) or semeval2023 (23).")] = (
        techniques.DEFAULT_SCHEME
    ),
) -> None:
    """Print the labelling configuration: every technique with its report colour and a hotkey.

    Paste it into the project's Settings > Labeling Interface > Code, or give it to the API
    when creating the project. Example: propscope label-studio config > config.xml
    """
    from propscope.formats.label_studio import labelling_config

    try:
        sys.stdout.write(labelling_config(scheme))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scheme") from None


def import_annotations(
    export: Annotated[Path, typer.Argument(help="A Label Studio export in JSON format (completed tasks).")],
    out: Annotated[Path, typer.Option(help="The PTC folder to write (articles/ and labels/).")],
) -> None:
    """Turn a Label Studio JSON export into a PTC folder of articles and technique labels.

    The newest annotation of each task counts; skipped tasks and tasks nobody annotated are
    left out. Offsets are converted from Label Studio's UTF-16 counting to code points, so they
    match the text exactly. Example:

      propscope import-annotations project-1-export.json --out reviewed/

      propscope evaluate --gold reviewed/ --pred predictions.jsonl
    """
    from propscope.formats.label_studio import read_export, write_ptc_folder

    annotated = read_export(export)
    write_ptc_folder(annotated, out)
    spans = sum(len(item.spans) for item in annotated)
    error_console.print(f"wrote {out}: {len(annotated)} annotated article(s), {spans} span(s)", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(label_studio_app, name="label-studio")
    app.command("import-annotations")(import_annotations)
