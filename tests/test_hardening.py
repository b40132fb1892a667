"""Bad input, faults and load: each defect found when propscope was tried as a new user and as an
attacker would, with the behaviour that replaced it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect

from propscope.article import Analysis, Article, SentenceFlag, Span
from propscope.config import Settings
from propscope.detect.model import Detector
from propscope.formats.inputs import read_source
from propscope.formats.jsonl import dumps_jsonl
from propscope.server.app import create_app
from propscope.store.database import open_database
from propscope.store.writer import start_run, store_chunk
from tests.conftest import REPO, run_cli
from tests.corpus_data import corpus_records, write_jsonl


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load(spin=False)


# A. one article id, one input table, round trips that close


def test_analyze_output_evaluates_against_ptc_gold_in_every_format(ptc_dir: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    (gold / "articles").mkdir(parents=True)
    ids = sorted(p.name for p in (ptc_dir / "dev" / "dev-articles").iterdir())[:2]
    for name in ids:
        (gold / "articles" / name).write_bytes((ptc_dir / "dev" / "dev-articles" / name).read_bytes())
    keep = {name.removeprefix("article").removesuffix(".txt") for name in ids}
    rows = (ptc_dir / "dev" / "dev-task-flc-tc.labels").read_text().splitlines()
    (gold / "gold.task-flc-tc.labels").write_text("\n".join(r for r in rows if r.split("\t")[0] in keep) + "\n")
    for output_format, suffix in (("ptc", ".labels"), ("json", ".json"), ("jsonl", ".jsonl")):
        predictions = tmp_path / f"predictions{suffix}"
        analysed = run_cli("analyze", str(gold / "articles"), "--format", output_format)
        assert analysed.returncode == 0, analysed.stderr
        predictions.write_text(analysed.stdout)
        scored = run_cli("evaluate", "--gold", str(gold), "--pred", str(predictions), "--format", "json")
        assert scored.returncode == 0, f"{output_format}: {scored.stderr}"
        assert 0 < json.loads(scored.stdout)["si"]["f1"] <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1))
def test_any_text_survives_jsonl_and_reads_back(tmp_path: Path, text: str) -> None:
    analysis = Analysis(Article(id="a", text=text), (), (SentenceFlag(0, len(text), False, 0.0),))
    saved = tmp_path / "saved.jsonl"
    saved.write_text(dumps_jsonl([analysis]), encoding="utf-8")
    (back,) = read_source(str(saved))
    assert back == analysis


def test_line_separators_inside_text_round_trip_through_the_cli(tmp_path: Path) -> None:
    source = tmp_path / "u.txt"
    source.write_text("A.\u2028B.\u2029C.\u0085D.\n", encoding="utf-8")
    saved = tmp_path / "u.jsonl"
    saved.write_text(run_cli("analyze", str(source), "--format", "jsonl").stdout, encoding="utf-8")
    result = run_cli("report", str(saved), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"wrote {tmp_path / 'r.html'}: 1 article(s)")


def test_what_a_record_says_wins_over_what_its_page_says(tmp_path: Path) -> None:
    page = (
        '<html><head><title>Page title</title><meta property="og:site_name" content="Page Site">'
        '<meta property="article:published_time" content="2020-01-01"></head>'
        "<body><article><p>The spineless bureaucrats lied again to all of us.</p></article></body></html>"
    )
    feed = write_jsonl(tmp_path / "feed.jsonl", [{"id": "p", "html": page, "outlet": "Herald", "date": "2024-05-02"}])
    (article,) = read_source(str(feed))
    assert isinstance(article, Article)
    assert (article.source, str(article.published), article.title) == ("Herald", "2024-05-02", "Page title")


def test_report_of_saved_analyses_applies_threshold_and_techniques(tmp_path: Path) -> None:
    text = "The corrupt elites lied again."
    analysis = Analysis(
        Article(id="s", text=text),
        (Span(4, 11, "Loaded_Language", 0.9), Span(4, 18, "Name_Calling,Labeling", 0.3), Span(19, 23, "Doubt", 0.8)),
        (SentenceFlag(0, len(text), True, 0.9, ("Doubt", "Loaded_Language", "Name_Calling,Labeling")),),
    )
    saved = tmp_path / "saved.jsonl"
    saved.write_text(dumps_jsonl([analysis]), encoding="utf-8")
    out = tmp_path / "r.html"
    result = run_cli("report", str(saved), "-o", str(out), "--threshold", "0.5", "--techniques", "Loaded_Language")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote {out}: 1 article(s), 1 span(s)"
    assert analysis.restricted(threshold=0.5).spans == (analysis.spans[0], analysis.spans[2])
    assert analysis.restricted(techniques=["Doubt"]).sentences[0].techniques == ("Doubt",)


# B. bad input: one clear line, never a traceback or a 500


def test_lone_surrogates_become_replacement_characters_at_every_entry(detector: Detector, tmp_path: Path) -> None:
    text = "a \ud800 b"
    assert detector.analyze(text).article.text == "a \ufffd b"  # offsets unchanged: one code point for one
    client = TestClient(create_app(Settings(), detector=detector))
    headers = {"content-type": "application/json"}
    for path in ("/api/v1/analyze", "/api/v1/report"):  # the JSON escape, as a client sends it
        response = client.post(path, content=b'{"text": "a \\ud800 b", "title": "t\\udfff"}', headers=headers)
        assert response.status_code == 200, path
    batch = client.post("/api/v1/analyze/batch", content=b'{"items": [{"text": "a \\ud800 b"}]}', headers=headers)
    assert batch.json()["analyses"][0]["article"]["text"] == "a \ufffd b"
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "x", "text": "a \\ud800 b"}\n', encoding="utf-8")
    result = run_cli("batch", str(feed), "--db", str(tmp_path / "c.db"))
    assert result.returncode == 0, result.stderr
    assert "1 analysed" in result.stderr


def test_a_saved_analysis_of_the_wrong_shape_is_one_line(tmp_path: Path) -> None:
    saved = tmp_path / "saved.jsonl"
    saved.write_text('{"article": []}\n', encoding="utf-8")
    result = run_cli("report", str(saved), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 1
    assert result.stderr == f"error: {saved}:1: field 'article': expected an object, got a list\n"


def test_a_huge_article_id_in_a_corpus_url_is_not_found(tmp_path: Path, detector: Detector) -> None:
    database = tmp_path / "c.db"
    open_database(str(database)).dispose()
    client = TestClient(create_app(Settings(db=str(database)), detector=detector))
    response = client.get("/corpus/articles/99999999999999999999")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no analysed article with id 99999999999999999999 in the corpus"


def test_reading_commands_never_create_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent-dir" / "x.db"
    for command in (["export"], ["stats"], ["dashboard", "-o", str(tmp_path / "d.html")]):
        result = run_cli(*command, "--db", str(missing))
        assert result.returncode == 1, command
        assert result.stderr == (
            f"error: {missing}: no corpus database here; make one with 'propscope batch INPUT --db {missing}'\n"
        )
    assert not missing.parent.exists()


def test_python_api_mistakes_are_type_and_value_errors(detector: Detector) -> None:
    with pytest.raises(TypeError, match=r"analyze\(\) takes a str or an Article, got NoneType"):
        detector.analyze(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown technique 'Lies' in the semeval2020 scheme; expected one of: "):
        Span(0, 1, "Lies")
    with pytest.raises(ValueError, match=r"unknown technique 'D' in the semeval2020 scheme"):
        detector.with_options(techniques="Doubt,D")
    assert detector.with_options(techniques="Doubt").techniques == ("Doubt",)  # a string is a name, not letters
    with pytest.raises(TypeError, match="an article's title must be a str or None, got dict"):
        Article(id="x", text="t", title={"a": 1})  # type: ignore[arg-type]


def test_empty_input_warns_that_nothing_was_analysed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_cli("analyze", str(empty), "--format", "jsonl")
    assert result.returncode == 0
    assert result.stderr == "warning: empty: the text is empty; nothing was analysed\n"
    piped = run_cli("analyze", "-", stdin="")
    assert piped.stderr.startswith("warning: stdin: the text is empty; nothing was analysed")


# C. faults and load


def test_html_over_the_limit_is_refused_before_extraction(detector: Detector) -> None:
    client = TestClient(create_app(Settings(api_max_html_chars=1_000), detector=detector))
    response = client.post("/api/v1/analyze", json={"html": "<p>" + "x" * 2_000 + "</p>"})
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith("html has 2,007 characters, over the limit of 1,000")


def test_url_fetches_have_their_own_admission_and_never_block_text(detector: Detector) -> None:
    import asyncio
    import threading

    import httpx

    from propscope.fetch import Page

    release = threading.Event()
    fetching = threading.Semaphore(0)

    def slow_fetch(url: str) -> Page:
        fetching.release()
        assert release.wait(60)
        return Page(url, "text/plain", "Cowardly traitors lied.")

    app = create_app(Settings(api_max_fetches=1, api_max_fetch_waiting=0), detector=detector, fetcher=slow_fetch)

    async def scenario() -> tuple[int, int, int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            first = asyncio.create_task(http.post("/api/v1/analyze", json={"url": "https://a.example/1"}))
            assert await asyncio.to_thread(fetching.acquire, True, 60)
            refused = await http.post("/api/v1/analyze", json={"url": "https://a.example/2"})
            text = await http.post("/api/v1/analyze", json={"text": "They lied."})  # while the fetch hangs
            release.set()
            return refused.status_code, text.status_code, (await first).status_code

    assert asyncio.run(scenario()) == (503, 200, 200)


_KILL_AT = """
import os, signal, sys
from sqlalchemy import event
import propscope.store.database as database
original = database.create_engine
def counting(*args, **kwargs):
    engine = original(*args, **kwargs)
    seen = {"n": 0}
    @event.listens_for(engine, "before_cursor_execute")
    def before(*_):
        seen["n"] += 1
        if seen["n"] == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
    return engine
database.create_engine = counting
database.open_database(sys.argv[1])
"""


def test_a_migration_killed_at_any_statement_leaves_a_database_that_opens(tmp_path: Path) -> None:
    killed_at = 0
    for statement in range(1, 200):
        url = f"sqlite:///{tmp_path / f'kill-{statement}.db'}"
        run = subprocess.run([sys.executable, "-c", _KILL_AT, url, str(statement)], cwd=REPO, check=False)
        if run.returncode == 0:
            break  # the migration finished before this statement: every earlier one was tried
        assert run.returncode == -signal.SIGKILL
        killed_at = statement
        engine = open_database(url)  # must open (and migrate) whatever the kill left
        assert {"articles", "analyses", "spans", "runs"} <= set(inspect(engine).get_table_names())
        engine.dispose()
    assert killed_at > 10  # the migration really was cut at many points


class _SwitchingFile:
    """A cursor on a new SQLite file that another process is switching to WAL: SQLite fails
    the switch at once ("database is locked") `busy` times, then it goes through."""

    def __init__(self, busy: int, error: str = "database is locked") -> None:
        self.busy, self.error, self.statements = busy, error, 0

    def execute(self, statement: str) -> None:
        self.statements += 1
        if self.statements <= self.busy:
            raise sqlite3.OperationalError(self.error)


def test_opening_a_new_database_another_process_is_switching_to_wal_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from propscope.store import database

    monkeypatch.setattr(database, "_WAL_PAUSE_SECONDS", 0.0)
    cursor = _SwitchingFile(busy=3)
    database._enable_wal(cursor)
    assert cursor.statements == 4  # three refusals, then the switch
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        database._enable_wal(_SwitchingFile(busy=1, error="disk I/O error"))  # other errors are not retried
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        database._enable_wal(_SwitchingFile(busy=database._WAL_ATTEMPTS))  # and a lock that never ends surfaces


def test_two_batches_on_one_database_share_the_work(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", corpus_records(24))
    database = tmp_path / "shared.db"
    command = [sys.executable, "-m", "propscope", "batch", str(feed), "--db", str(database)]
    runs = [subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all("Traceback" not in output for output in outputs)
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        articles = connection.exec_driver_sql("SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM articles").one()
        analyses = connection.exec_driver_sql("SELECT COUNT(*) FROM analyses").scalar()
        unfinished = connection.exec_driver_sql("SELECT COUNT(*) FROM runs WHERE finished_at IS NULL").scalar()
    assert tuple(articles) == (24, 24) and analyses == 24 and unfinished == 0


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_when_their_batch_is_killed(tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", corpus_records(200))
    database = tmp_path / "c.db"
    batch = subprocess.Popen(
        [sys.executable, "-m", "propscope", "batch", str(feed), "--db", str(database), "--workers", "2"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while True:  # wait until analyses are stored: the workers are up and working
        if database.exists():
            with create_engine(f"sqlite:///{database}").connect() as connection:
                has_table = connection.exec_driver_sql("SELECT COUNT(*) FROM sqlite_master WHERE name='analyses'")
                if has_table.scalar() and connection.exec_driver_sql("SELECT COUNT(*) FROM analyses").scalar():
                    break
        assert batch.poll() is None and time.monotonic() < deadline, "the batch never stored anything"
        time.sleep(0.2)
    workers = _children(batch.pid)
    assert len(workers) >= 2  # two workers (and multiprocessing's resource tracker)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"still alive: {[p for p in workers if _alive(p)]}"
        time.sleep(0.1)


def test_corpus_pages_have_a_policy_and_hide_database_details(tmp_path: Path, detector: Detector) -> None:
    database = tmp_path / "c.db"
    engine = open_database(str(database))
    run = start_run(engine, "m", {})
    text = "Lies again."
    store_chunk(engine, run, [Analysis(Article("a", text), (Span(0, 4, "Doubt", 0.5),), model_id="m")], 0)
    client = TestClient(create_app(Settings(db=str(database)), detector=detector))
    dashboard = client.get("/corpus")
    assert dashboard.status_code == 200
    policy = dashboard.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; script-src 'sha256-") and "frame-ancestors 'self'" in policy
    article = client.get("/corpus/articles/1")
    assert "frame-ancestors 'self'" in article.headers["content-security-policy"]
    assert article.headers["x-frame-options"] == "SAMEORIGIN"
    unreachable = "postgresql+psycopg://secretuser:pw@127.0.0.1:1/secretdb"
    broken = TestClient(create_app(Settings(db=unreachable), detector=detector)).get("/corpus")
    assert broken.status_code == 503
    assert broken.json()["error"]["message"] == "the corpus database is not available"
    assert "secret" not in broken.text and "127.0.0.1" not in broken.text


# E. rough edges a new user hits


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Cowardly traitors lied.")
    previous = os.umask(0o022)
    try:
        result = run_cli("report", str(source), "-o", str(tmp_path / "r.html"))
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "r.html").stat().st_mode) == 0o644


def test_help_and_technique_names_are_shown_whole() -> None:
    assert "pip install 'propscope[ray]'" in run_cli("batch", "--help").stdout
    listed = run_cli("techniques").stdout
    assert "Whataboutism,Straw_Men,Red_Herring" in listed.replace("\n", "").replace("│", "").replace(" ", "")


def test_evaluate_finds_the_data_from_any_folder_or_says_where_it_looked(tmp_path: Path, ptc_dir: Path) -> None:
    elsewhere = subprocess.run(
        [sys.executable, "-m", "propscope", "evaluate", "--split", "dev", "--limit", "1", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PROPSCOPE_PTC_DIR"},
        check=False,
    )
    if (REPO.parent / "shared" / "data" / "ptc-semeval2020").is_dir():
        assert elsewhere.returncode == 0, elsewhere.stderr
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "propscope", "evaluate", "--split", "dev"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PROPSCOPE_PTC_DIR": str(missing)},
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: no data folder found (looked for {missing / 'dev'}); "
        "set PROPSCOPE_PTC_DIR to the folder that holds it\n"
    )


def test_dashboard_months_run_in_calendar_order_and_undated_corpora_say_so() -> None:
    import datetime as dt
    from collections import Counter

    from propscope.report.dashboard import share_over_time
    from propscope.store.queries import Fact

    def fact(number: int, source: str, month: int | None) -> Fact:
        published = dt.date(2024, month, 1) if month else None
        return Fact(number, number, "t", source, "a", published, 100, 0.5, 4, 1, Counter())

    months = [(1, "A", 1), (2, "A", 4), (3, "B", 2), (4, "B", 5), (5, "A", 3), (6, "B", 6)]
    figure = share_over_time([fact(n, s, m) for n, s, m in months])
    assert list(figure.layout.xaxis.categoryarray) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    undated = share_over_time([fact(1, "A", None)])
    assert undated.layout.annotations[0].text.startswith("No article has a publication date")
    assert list(undated.layout.yaxis.range) == [0, 1]
    page = (REPO / "src" / "propscope" / "report" / "templates" / "dashboard.html.j2").read_text()
    assert "th { overflow-wrap: normal; hyphens: none; }" in page  # headers never break inside a word


def test_progress_shows_on_a_terminal_only() -> None:
    import io

    from rich.console import Console

    import propscope.cli.common as common

    terminal = io.StringIO()
    original = common.error_console
    try:
        common.error_console = Console(file=terminal, force_terminal=True)
        assert list(common.progress_over(iter([1, 2, 3]), "analysing", 3)) == [1, 2, 3]
        assert "analysing" in terminal.getvalue() and "3/3" in terminal.getvalue()
        common.error_console = Console(file=io.StringIO(), force_terminal=False)
        assert list(common.progress_over(iter([1, 2]), "analysing")) == [1, 2]
    finally:
        common.error_console = original
    result = run_cli("analyze", str(REPO / "examples" / "editorial.txt"), "--format", "jsonl")
    assert result.stderr == ""  # a pipe gets no progress bar
