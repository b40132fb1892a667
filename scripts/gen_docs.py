"""Write the generated pages of the documentation site: docs/cli.md and docs/techniques.md.

    .venv/bin/python scripts/gen_docs.py          # rewrite them
    .venv/bin/python scripts/gen_docs.py --check  # exit 1 when either is out of date (tests run this)

The CLI reference comes from the commands' own help (Typer), the techniques page from the
taxonomy, so neither can drift from the code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli_page() -> str:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "cli.md"
        subprocess.run(
            [sys.executable, "-m", "typer", "propscope.cli.app", "utils", "docs", "--name", "propscope",
             "--output", str(target)],
            check=True,
            capture_output=True,
            env={"COLUMNS": "100", "PATH": "", "TERM": "dumb"},
        )  # fmt: skip
        return "# Command line\n\n" + target.read_text(encoding="utf-8").split("\n", 1)[1]


def techniques_page() -> str:
    from propscope import techniques

    lines = ["# Techniques", "", "Definitions and examples are propscope's own words. Label names are those of the"]
    lines += ["official label files, which `--techniques` and the API take.", ""]
    for scheme in techniques.SCHEMES.values():
        lines += [
            f"## {scheme.title}",
            "",
            "| technique | label name | what it is | example |",
            "| --- | --- | --- | --- |",
        ]
        for t in scheme.techniques:
            lines.append(f"| {t.title} | `{t.name}` | {t.definition} | “{t.example}” |")
        lines.append("")
    lines += ["## Frames (SemEval-2023 subtask 2)", "", "| frame | about |", "| --- | --- |"]
    lines += [f"| `{name}` | {about} |" for name, about in techniques.FRAMES.items()]
    lines += ["", "Mapping of the 23 techniques onto the 14 (none: no PTC counterpart):", ""]
    lines += ["| SemEval-2023 | SemEval-2020 (PTC) |", "| --- | --- |"]
    lines += [f"| `{a}` | {f'`{b}`' if b else 'none'} |" for a, b in techniques.SEMEVAL2023_TO_SEMEVAL2020.items()]
    return "\n".join(lines) + "\n"


PAGES = {"cli.md": cli_page, "techniques.md": techniques_page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for name, make in PAGES.items():
        path = REPO / "docs" / name
        wanted = make()
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != wanted:
                stale.append(name)
        else:
            path.write_text(wanted, encoding="utf-8")
    if stale:
        sys.exit(f"out of date: {', '.join(stale)}; run .venv/bin/python scripts/gen_docs.py")


if __name__ == "__main__":
    main()
