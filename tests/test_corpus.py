"""The corpus database: batch runs, resuming, model versions, statistics, export, dashboard,
against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from propscope.article import Analysis, Article, SentenceFlag, Span
from propscope.config import Settings
from propscope.detect.model import Detector
from propscope.server.app import create_app
from propscope.store.database import open_database
from propscope.store.queries import Filters, facts, statistics, stored_analyses, top_passages
from propscope.store.schema import AnalysisRow, ArticleRow, Base, RunRow, SpanRow
from propscope.store.writer import start_run, store_chunk
from tests.conftest import REPO, run_cli
from tests.corpus_data import corpus_records, write_jsonl

POSTGRES_URL = os.environ.get(
    "PROPSCOPE_TEST_POSTGRES_URL", "postgresql+psycopg://propscope:propscope@127.0.0.1:5432/propscope_test"
)


def _postgres_or_skip() -> str:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    except Exception as error:
        message = f"no PostgreSQL server at {POSTGRES_URL} ({type(error).__name__}); .ci/run starts one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'corpus.db'}"
    return _postgres_or_skip()


def counts(url: str) -> tuple[int, int, int]:
    engine = open_database(url)
    with Session(engine) as session:
        result = tuple(
            session.scalar(select(func.count()).select_from(table)) or 0 for table in (ArticleRow, AnalysisRow, SpanRow)
        )
    engine.dispose()
    return result  # type: ignore[return-value]


def test_batch_stores_every_article_once_and_skips_them_on_rerun(db_url: str, tmp_path: Path) -> None:
    records = corpus_records(6)
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [*records, records[0] | {"id": "duplicate-of-0"}])
    first = run_cli("batch", str(corpus), "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert "6 analysed, 1 already stored" in first.stderr
    articles, analyses, spans = counts(db_url)
    assert (articles, analyses) == (6, 6)
    assert spans > 0
    again = run_cli("batch", str(corpus), "--db", db_url)
    assert again.returncode == 0, again.stderr
    assert "0 analysed, 7 already stored, 0 spans" in again.stderr
    assert counts(db_url) == (6, 6, spans)
    engine = open_database(db_url)
    with Session(engine) as session:
        runs = session.scalars(select(RunRow).order_by(RunRow.id)).all()
        assert [(r.articles_seen, r.articles_analysed, r.articles_skipped) for r in runs] == [(7, 6, 1), (7, 0, 7)]
        assert all(r.finished_at is not None for r in runs)
        stored = session.scalars(select(ArticleRow).where(ArticleRow.external_id == "story-0")).one()
        assert (stored.source, stored.author, stored.published) == (
            "Harbour Herald",
            "Bo Reporter",
            dt.date(2024, 1, 10),
        )
    engine.dispose()


def test_a_new_model_adds_analyses_beside_the_old(db_url: str, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", corpus_records(4))
    other = tmp_path / "other-model"
    shutil.copytree(REPO / "src" / "propscope" / "models" / "propscope-minilm", other)
    description = json.loads((other / "propscope-model.json").read_text())
    (other / "propscope-model.json").write_text(json.dumps(description | {"model_id": "propscope-minilm-v2"}))
    assert run_cli("batch", str(corpus), "--db", db_url).returncode == 0
    result = run_cli("batch", str(corpus), "--db", db_url, "--model", str(other))
    assert result.returncode == 0, result.stderr
    assert "run 2 (propscope-minilm-v2): 4 analysed, 0 already stored" in result.stderr
    articles, analyses, _ = counts(db_url)
    assert (articles, analyses) == (4, 8)


def test_killed_batch_resumes_with_every_article_stored_once(db_url: str, tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", corpus_records(60))
    process = subprocess.Popen(
        [sys.executable, "-m", "propscope", "batch", str(corpus), "--db", db_url],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while counts(db_url)[1] < 16:
        assert process.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    _, stored_before, _ = counts(db_url)
    assert 16 <= stored_before < 60
    result = run_cli("batch", str(corpus), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert f"{60 - stored_before} analysed, {stored_before} already stored" in result.stderr
    articles, analyses, _ = counts(db_url)
    assert (articles, analyses) == (60, 60)
    engine = open_database(db_url)
    with Session(engine) as session:  # every stored analysis is whole: sentences and spans present
        incomplete = session.scalar(select(func.count()).where(AnalysisRow.sentence_count == 0))
        assert incomplete == 0
    engine.dispose()


def test_two_workers_store_the_same_analyses_as_one(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", corpus_records(8))
    one, two = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    assert run_cli("batch", str(corpus), "--db", one).returncode == 0
    result = run_cli("batch", str(corpus), "--db", two, "--workers", "2")
    assert result.returncode == 0, result.stderr
    exports = [run_cli("export", "--db", url, "--format", "jsonl").stdout for url in (one, two)]
    assert exports[0] == exports[1]
    assert exports[0].count("\n") == 8


def _known_database(url: str) -> None:
    """Three hand-made analyses whose statistics can be worked out by hand."""
    engine = open_database(url)
    run = start_run(engine, "hand", {})

    def analysis(article_id: str, text_: str, source: str, month: int, spans: list[Span], flagged: int) -> Analysis:
        article = Article(article_id, text_, title=article_id.title(), source=source, published=dt.date(2024, month, 1))
        sentences = tuple(SentenceFlag(0, 1, n < flagged, 0.5) for n in range(4))
        return Analysis(article, tuple(spans), sentences, score=0.25 * flagged, model_id="hand")

    ten_words = "one two three four five six seven eight nine ten"
    store_chunk(
        engine,
        run,
        [
            analysis("a", ten_words, "Herald", 1, [Span(0, 3, "Loaded_Language", 0.9), Span(4, 7, "Doubt", 0.4)], 2),
            analysis("b", ten_words + " eleven", "Herald", 2, [Span(0, 3, "Loaded_Language", 0.7)], 1),
            analysis("c", "calm words only here", "Times", 2, [], 0),
        ],
        skipped=0,
    )
    engine.dispose()


def test_statistics_by_outlet_month_and_technique(db_url: str) -> None:
    _known_database(db_url)
    engine = open_database(db_url)
    with Session(engine) as session:
        found = facts(session, Filters())
        by_outlet = statistics(found, "outlet")
        assert by_outlet[0].to_dict() == {
            "outlet": "Herald",
            "articles": 2,
            "words": 21,
            "propaganda_share": 0.375,  # 3 of 8 sentences flagged
            "mean_score": 0.375,
            "spans": 3,
            "techniques_per_1000_words": 142.86,
            "top_techniques": [{"technique": "Loaded_Language", "spans": 2}, {"technique": "Doubt", "spans": 1}],
            "genre_shares": {},  # a SemEval-2020 model: no genres or frames
            "top_frames": [],
        }
        assert by_outlet[1].to_dict()["outlet"] == "Times" and by_outlet[1].spans == 0
        assert [(r.to_dict()["month"], r.articles, r.spans) for r in statistics(found, "month")] == [
            ("2024-01", 1, 2),
            ("2024-02", 2, 1),
        ]
        assert [row.to_dict() for row in statistics(found, "technique")] == [
            {
                "technique": "Loaded_Language",
                "spans": 2,
                "articles": 2,
                "share_of_spans": 0.6667,
                "per_1000_words": 80.0,
            },
            {"technique": "Doubt", "spans": 1, "articles": 1, "share_of_spans": 0.3333, "per_1000_words": 40.0},
        ]
        february = facts(session, Filters(since=dt.date(2024, 2, 1), source="Herald"))
        assert [f.title for f in february] == ["B"]
        assert [p.passage for p in top_passages(session, Filters(), 2)] == ["one", "one"]
        assert [p.score for p in top_passages(session, Filters(technique="Doubt"))] == [0.4]
    engine.dispose()


def test_stats_and_export_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    _known_database(url)
    as_csv = run_cli("stats", "--db", url, "--by", "outlet", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows[0]["outlet"] == "Herald"
    assert rows[0]["top_techniques"] == "Loaded_Language (2); Doubt (1)"
    as_json = json.loads(run_cli("stats", "--db", url, "--by", "technique", "--format", "json").stdout)
    assert as_json["groups"][0]["technique"] == "Loaded_Language"
    assert as_json["top_passages"][0] == {
        "passage": "one",
        "technique": "Loaded_Language",
        "score": 0.9,
        "article": "A",
        "source": "Herald",
        "article_id": 1,
    }
    table = run_cli("stats", "--db", url, "--by", "month")
    assert "2024-01" in table.stdout and "Most-flagged passages" in table.stdout
    assert run_cli("export", "--db", url, "--format", "ptc").stdout == (
        "a\tLoaded_Language\t0\t3\na\tDoubt\t4\t7\nb\tLoaded_Language\t0\t3\n"
    )
    spans_csv = list(csv.DictReader(io.StringIO(run_cli("export", "--db", url, "--format", "csv").stdout)))
    assert [(r["article_id"], r["technique"], r["text"]) for r in spans_csv] == [
        ("a", "Loaded_Language", "one"),
        ("a", "Doubt", "two"),
        ("b", "Loaded_Language", "one"),
    ]
    out = tmp_path / "all.jsonl"
    assert run_cli("export", "--db", url, "-o", str(out)).returncode == 0
    exported = [Analysis.from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    assert [a.article.id for a in exported] == ["a", "b", "c"]
    assert exported[0].spans == (Span(0, 3, "Loaded_Language", 0.9), Span(4, 7, "Doubt", 0.4))
    bad = run_cli("stats", "--db", url, "--since", "last week")
    assert bad.returncode == 2 and "'last week' is not a date; write YYYY-MM-DD" in bad.stderr


def test_bad_database_urls_are_explained(tmp_path: Path) -> None:
    result = run_cli("stats", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("error: postgresql+psycopg://nobody:***@127.0.0.1:1/none: cannot open the database")
    assert "secret" not in result.stderr


def test_dashboard_file_links_each_article_view(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    records = corpus_records(6)
    records[1]["outlet"] = "<script>window.__pwned=1</script>"
    assert run_cli("batch", str(write_jsonl(tmp_path / "c.jsonl", records)), "--db", url).returncode == 0
    out = tmp_path / "site" / "dashboard.html"
    result = run_cli("dashboard", "--db", url, "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "Technique mix per outlet" in page and "Propaganda share over time" in page
    assert 'src="https://cdn' not in page  # plotly.js is inlined, not fetched
    assert "<script>window.__pwned=1</script>" not in page
    views = sorted((tmp_path / "site" / "dashboard-articles").glob("*.html"))
    assert len(views) == 6
    for view in views:
        assert f'href="dashboard-articles/{view.name}"' in page
    assert "spineless bureaucrats" in views[0].read_text(encoding="utf-8") or any(
        "spineless bureaucrats" in v.read_text(encoding="utf-8") for v in views
    )


def test_corpus_pages_in_the_web_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'known.db'}"
    _known_database(url)
    detector = Detector.load(spin=False)
    with TestClient(create_app(Settings(db=url), detector=detector)) as client:
        page = client.get("/corpus")
        assert page.status_code == 200
        assert "Herald" in page.text and "Times" in page.text
        filtered = client.get("/corpus", params={"source": "Times", "technique": "", "since": "", "until": ""})
        assert "1 analysed article" in filtered.text
        assert client.get("/corpus", params={"since": "soon"}).json()["error"]["message"] == (
            "since: 'soon' is not a date; write YYYY-MM-DD"
        )
        view = client.get("/corpus/articles/1")
        assert view.status_code == 200 and '<td class="ps-passage"><a href="#a1-0">“one”</a></td>' in view.text
        assert client.get("/corpus/articles/99").status_code == 404
    missing = tmp_path / "none.db"
    with TestClient(create_app(Settings(db=str(missing)), detector=detector)) as client:
        answer = client.get("/corpus").json()["error"]
        assert answer["code"] == "no_corpus"
        assert not missing.exists()


def test_migrations_create_the_schema_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(2):
        engine = open_database(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0002"]
        engine.dispose()


def test_a_database_from_before_the_semeval2023_scheme_upgrades_and_keeps_its_rows(db_url: str) -> None:
    from alembic import command

    from propscope.store.database import alembic_config

    old = create_engine(db_url)
    with old.begin() as connection:  # the schema as the previous release made it: revision 0001
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO runs (id, model_id, settings, started_at, articles_seen, articles_analysed, "
                "articles_skipped, spans) VALUES (1, 'old', '{}', '2024-01-01', 1, 1, 0, 1)"
            )
        )
        connection.execute(
            text("INSERT INTO articles (id, content_hash, external_id, text, words) VALUES (1, 'h', 'a', 'Lies.', 1)")
        )
        connection.execute(
            text(
                "INSERT INTO analyses (id, article_id, run_id, model_id, score, covered_share, sentences, "
                "sentence_count, flagged_sentences, created_at) VALUES (1, 1, 1, 'old', 0.5, 0.8, '[]', 0, 0, "
                "'2024-01-01')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO spans (analysis_id, start, "end", technique, score, text) '
                "VALUES (1, 0, 4, 'Doubt', 0.5, 'Lies')"
            )
        )
    old.dispose()
    engine = open_database(db_url)
    with Session(engine) as session:
        (analysis,) = stored_analyses(session, Filters())
        assert (analysis.scheme, analysis.genre, analysis.frames) == ("semeval2020", None, None)
        assert [(s.start, s.end, s.technique) for s in analysis.spans] == [(0, 4, "Doubt")]
        assert analysis.article.text == "Lies."
    engine.dispose()
