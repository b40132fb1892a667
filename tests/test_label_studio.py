"""The human review round trip against a real Label Studio server, started by the test.

Label Studio runs from its own environment (`.venv-label-studio`, made by `scripts/bootstrap
--dev`: its pinned dependencies would clash with propscope's), and so does the client driving it
through label-studio-sdk (tests/label_studio_client.py). propscope's side is its command line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from propscope.article import Analysis, Article, SentenceFlag, Span
from propscope.formats.ptc import read_ptc_folder
from propscope.store.database import open_database
from propscope.store.writer import start_run, store_chunk
from tests.conftest import REPO, run_cli

STUDIO = REPO / ".venv-label-studio" / "bin"
TOKEN = "propscope-test-token-1"
# non-ASCII text with a character outside the BMP (UTF-16 counts it twice) and overlapping spans
TEXT = "Café owners say the corrupt elites lied again \U0001f600 and again.\nNaïve voters «take back our harbour»!"
SPANS = (
    Span(20, 34, "Name_Calling,Labeling", 0.7),
    Span(20, 27, "Loaded_Language", 0.8),
    Span(35, 39, "Loaded_Language", 0.6),
    Span(72, 95, "Slogans", 0.5),
)


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (STUDIO / "label-studio").is_file():
        message = f"Label Studio is not installed at {STUDIO}; scripts/bootstrap --dev installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path_factory.mktemp("label-studio")
    env = {
        **os.environ,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    }
    server = subprocess.Popen(
        [str(STUDIO / "label-studio"), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data), "--username", "reviewer@example.org", "--password", "reviewer-pw-1",
         "--user-token", TOKEN],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "Label Studio did not start"
            time.sleep(1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_review_in_label_studio_comes_back_as_a_ptc_folder_with_exact_offsets(
    label_studio: str, tmp_path: Path
) -> None:
    database = tmp_path / "corpus.db"
    engine = open_database(str(database))
    sentences = (SentenceFlag(0, 58, True, 0.9), SentenceFlag(59, len(TEXT), True, 0.7))
    store_chunk(engine, start_run(engine, "m", {}), [Analysis(Article("42", TEXT), SPANS, sentences, model_id="m")], 0)
    engine.dispose()
    tasks = tmp_path / "tasks.json"
    exported = run_cli("export", "--db", str(database), "--format", "label-studio", "-o", str(tasks))
    assert exported.returncode == 0, exported.stderr
    config = tmp_path / "config.xml"
    config.write_text(run_cli("label-studio", "config").stdout, encoding="utf-8")

    review = tmp_path / "export.json"
    client = subprocess.run(
        [str(STUDIO / "python"), str(REPO / "tests" / "label_studio_client.py"), label_studio, TOKEN,
         str(config), str(tasks), str(review)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert client.returncode == 0, client.stderr[-3000:]

    reviewed = tmp_path / "reviewed"
    back = run_cli("import-annotations", str(review), "--out", str(reviewed))
    assert back.returncode == 0, back.stderr
    assert back.stderr.strip() == f"wrote {reviewed}: 1 annotated article(s), 4 span(s)"
    corpus = read_ptc_folder(reviewed)
    assert corpus.articles["42"].text == TEXT  # byte for byte
    after_emoji = TEXT.index("\U0001f600") + 1
    added = Span(after_emoji, after_emoji + 6, "Doubt")
    assert sorted(corpus.tc_spans()["42"]) == sorted(
        [Span(s.start, s.end, s.technique) for s in sorted(SPANS)[1:]] + [added]
    )  # the first prediction rejected, a Doubt span added after the emoji
    assert TEXT[added.start : added.end] == " and a"

    analyses = tmp_path / "analyses.jsonl"
    analyses.write_text(run_cli("export", "--db", str(database), "--format", "jsonl").stdout, encoding="utf-8")
    scored = run_cli("evaluate", "--gold", str(reviewed), "--pred", str(analyses), "--format", "json")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["flc"]["gold"] == 4


def test_labelling_config_lists_every_technique_with_its_colour_and_a_hotkey() -> None:
    config = run_cli("label-studio", "config").stdout
    assert config.count("<Label value=") == 14
    assert '<Label value="Loaded_Language" background="#ff7f0e" hotkey="9"/>' in config
    assert config.count("<Label value=") == len(
        set(line.split('hotkey="')[1] for line in config.splitlines() if "hotkey" in line)
    )
    assert run_cli("label-studio", "config", "--scheme", "semeval2023").stdout.count("<Label value=") == 23


def test_import_refuses_an_export_that_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text('{"tasks": []}', encoding="utf-8")
    result = run_cli("import-annotations", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == f"error: {bad}: is not a Label Studio JSON export (expected a list of tasks)\n"
