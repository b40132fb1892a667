"""The documentation: it builds without warnings, its generated pages are current, and every
example in it and in the README runs (Python) or is a command line propscope accepts (shell)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer

from propscope.cli import app
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[str, str]]:
    return [
        (f"{page.name}:{page.read_text(encoding='utf-8')[: match.start()].count(chr(10)) + 1}", match.group(2))
        for page in PAGES
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8"))
        if match.group(1) == language
    ]


def command_lines() -> list[tuple[str, list[str]]]:
    """Each `propscope ...` command of the shell examples, split into words (pipes,
    redirections and `&&` end a command)."""
    found = []
    for where, code in blocks("bash"):
        for line in code.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            for end, word in enumerate(words):
                if word in ("|", ">", "&&", ";", "<") or word.startswith(">"):
                    words = words[:end]
                    break
            program = next((i for i, word in enumerate(words) if word.endswith("propscope")), None)
            if program is not None:
                found.append((where, words[program + 1 :]))
    return found


def test_generated_pages_are_current() -> None:
    check = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8").count("analyze_many") >= 1


@pytest.mark.parametrize(("where", "code"), blocks("python"), ids=[where for where, _ in blocks("python")])
def test_python_examples_run(where: str, code: str, tmp_path: Path) -> None:
    if "import spacy" in code:
        pytest.importorskip("spacy")
    if "to_frame" in code or "frame(" in code:
        pytest.importorskip("pandas")
    texts = ["They are vile, cowardly traitors!", "Can we really trust anything they say?"]
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, where, "exec"), {"__name__": "__docs__", "texts": texts})
    finally:
        os.chdir(previous)


@pytest.mark.parametrize(
    ("where", "words"), command_lines(), ids=[f"{w}:{' '.join(a[:2])}" for w, a in command_lines()]
)
def test_shell_examples_are_commands_propscope_accepts(where: str, words: list[str]) -> None:
    command: click.Command = typer.main.get_command(app)
    context = command.make_context("propscope", list(words), resilient_parsing=False)
    arguments = context.protected_args + context.args if hasattr(context, "protected_args") else context.args
    while isinstance(command, click.Group) and arguments:
        name, command, rest = command.resolve_command(context, arguments)
        assert command is not None, f"{where}: no command {name!r}"
        context = command.make_context(name or "", rest, parent=context)
        arguments = (context.protected_args + context.args) if isinstance(command, click.Group) else []


def test_the_quickstart_commands_run(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    assert "propaganda score" in run_cli("analyze", "examples/editorial.txt").stdout
    result = run_cli("report", "examples/editorial.txt", "-o", str(tmp_path / "report.html"))
    assert result.returncode == 0 and (tmp_path / "report.html").is_file()


@pytest.mark.parametrize(
    "module",
    ["propscope", "propscope.article", "propscope.detect.model", "propscope.frames", "propscope.report.notebook"],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
