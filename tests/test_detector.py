"""The shipped detector through its Python API and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from propscope.article import Article
from propscope.detect.model import Detector, default_model_dir
from propscope.errors import InputError
from tests.conftest import REPO, run_cli

EDITORIAL = REPO / "examples" / "editorial.txt"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


def test_empty_and_blank_text_give_no_spans(detector: Detector) -> None:
    for text in ("", "   \n\t  "):
        analysis = detector.analyze(text)
        assert analysis.spans == () and analysis.score == 0.0 and analysis.covered_share == 0.0


def test_analysis_values_are_well_formed(detector: Detector) -> None:
    article = Article(id="ed", text=EDITORIAL.read_text(encoding="utf-8"), source="Example Harbour News")
    analysis = detector.analyze(article)
    assert analysis.article is article and analysis.model_id == detector.model_id
    assert 0.0 <= analysis.score <= 1.0 and 0.0 <= analysis.covered_share <= 1.0
    assert len(analysis.sentences) == 12  # the title and 11 one-sentence lines
    for span in analysis.spans:
        text = article.text[span.start : span.end]
        assert 0.0 <= span.score <= 1.0
        assert text == text.strip() and text[-1] not in ",;:" and "\n" not in text
    flagged = {s.start for s in analysis.sentences if s.flagged}
    assert flagged == {s.start for s in analysis.sentences if any(sp.overlaps(s.start, s.end) for sp in analysis.spans)}


def test_analyze_many_streams_in_order_and_matches_analyze(detector: Detector) -> None:
    texts = [EDITORIAL.read_text(encoding="utf-8"), "", "The council meets on Tuesday.", "Shameful, cowardly traitors!"]
    many = list(detector.analyze_many(iter(texts), batch_size=3))
    assert [a.article.text for a in many] == texts
    assert [a.spans for a in many] == [detector.analyze(t).spans for t in texts]


def test_threshold_and_technique_filters(detector: Detector) -> None:
    text = EDITORIAL.read_text(encoding="utf-8")
    everything = detector.with_options(threshold=0.05).analyze(text)
    strict = detector.with_options(threshold=0.95).analyze(text)
    # a lower threshold covers more text (span counts can drop as neighbours merge)
    assert strict.covered_share <= detector.analyze(text).covered_share <= everything.covered_share
    assert strict.spans == () and everything.covered_share > 0.3
    only = detector.with_options(threshold=0.05, techniques=["Loaded_Language"]).analyze(text)
    assert only.spans and {s.technique for s in only.spans} == {"Loaded_Language"}


def test_too_long_article_is_refused_with_the_limit(detector: Detector) -> None:
    with pytest.raises(InputError, match=r"big: article has 5,000,000 characters, over the limit of 1,000,000"):
        detector.analyze(Article(id="big", text="x" * 5_000_000))


def test_long_article_within_a_raised_limit_is_windowed(detector: Detector) -> None:
    text = (EDITORIAL.read_text(encoding="utf-8") + "\n") * 40  # about 40 windows
    analysis = detector.with_options(max_chars=len(text)).analyze(text)
    one = detector.analyze(EDITORIAL.read_text(encoding="utf-8"))
    assert len(analysis.spans) >= 30 * max(1, len(one.spans)) // 2


def test_missing_and_corrupt_model_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope: model folder not found"):
        Detector.load(tmp_path / "nope")
    with pytest.raises(InputError, match=r"is not a propscope model folder: missing encoder.onnx, tokenizer.json"):
        Detector.load(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in default_model_dir().iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    (broken / "encoder.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match=r"broken: model folder is corrupt"):
        Detector.load(broken)


def test_inference_never_imports_torch() -> None:
    code = (
        "import sys; from propscope.detect.model import Detector; "
        "Detector.load().analyze('They are vile traitors.'); print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"


def test_cli_analyze_formats(tmp_path: Path) -> None:
    as_json = json.loads(run_cli("analyze", str(EDITORIAL), "--format", "json").stdout)
    assert as_json[0]["article"]["id"] == "editorial" and "sentences" in as_json[0]
    rows = run_cli("analyze", str(EDITORIAL), "--format", "ptc").stdout.splitlines()
    assert len(rows) == len(as_json[0]["spans"])
    assert all(len(row.split("\t")) == 4 and row.startswith("editorial\t") for row in rows)
    lines = run_cli("analyze", "-", "--format", "jsonl", stdin="Plain words here.").stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["article"]["id"] == "stdin"
    text_view = run_cli("analyze", str(EDITORIAL)).stdout
    assert "propaganda score" in text_view and "The Harbour Bill" in text_view


def test_cli_analyze_bad_inputs(tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\xff\xd8\xff\x00JFIF")
    result = run_cli("analyze", str(binary))
    assert result.returncode == 1
    assert (
        result.stderr == f"error: {binary}: looks like a binary file (it contains NUL bytes); give a UTF-8 text file\n"
    )
    latin = tmp_path / "latin.txt"
    latin.write_bytes("na\u00efve".encode("latin-1"))
    assert "is not UTF-8 text" in run_cli("analyze", str(latin)).stderr
    assert run_cli("analyze", str(EDITORIAL), "--model", str(tmp_path / "m")).stderr.startswith("error: ")
    unknown = run_cli("analyze", str(EDITORIAL), "--techniques", "Lying")
    assert unknown.returncode == 2 and "unknown technique 'Lying'" in unknown.stderr
    huge = run_cli("analyze", str(EDITORIAL), "--max-chars", "100")
    assert huge.returncode == 1 and "over the limit of 100" in huge.stderr


def test_cli_technique_names_with_commas_split_correctly() -> None:
    result = run_cli(
        "analyze",
        str(EDITORIAL),
        "--format",
        "json",
        "--threshold",
        "0.05",
        "--techniques",
        "Name_Calling,Labeling,Loaded_Language",
    )
    assert result.returncode == 0, result.stderr
    found = {s["technique"] for s in json.loads(result.stdout)[0]["spans"]}
    assert found <= {"Name_Calling,Labeling", "Loaded_Language"} and found


def test_a_stream_is_read_ahead_only_so_far_and_fails_in_its_turn() -> None:
    """Side by side (two threads), `analyze_many` takes at most `batch_size` articles from the
    stream before yielding, and an article over the limit fails after the ones before it."""
    detector = Detector.load(threads=2).with_options(max_chars=200)
    texts = ["Shameful, cowardly traitors!", "The council meets on Tuesday.", "x" * 201, "Never again."]
    taken: list[str] = []

    def stream() -> Iterator[str]:
        for text in texts:
            taken.append(text)
            yield text

    analyses = detector.analyze_many(stream(), batch_size=3)
    first = next(analyses)
    assert first.article.text == texts[0] and len(taken) == 3
    assert first == detector.analyze(texts[0])
    assert next(analyses).article.text == texts[1]
    with pytest.raises(InputError, match=r"article has 201 characters, over the limit of 200"):
        next(analyses)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_failing_stream_first_gives_the_analyses_of_what_it_yielded(threads: int) -> None:
    """Whether articles are taken one after the other or side by side, an iterable that fails
    (here after three texts) loses none of the analyses of the texts it gave before failing."""
    detector = Detector.load(threads=threads)
    texts = ["Shameful, cowardly traitors!", "The council meets on Tuesday.", "Never again."]

    def stream() -> Iterator[str]:
        yield from texts
        raise OSError("feed.jsonl: the disk went away")

    analyses = detector.analyze_many(stream())
    assert [next(analyses).article.text for _ in texts] == texts
    with pytest.raises(OSError, match="the disk went away"):
        next(analyses)
    mixed = detector.analyze_many(["Never again.", 5])  # type: ignore[list-item]
    assert next(mixed).article.text == "Never again."
    with pytest.raises(TypeError, match=r"analyze\(\) takes a str or an Article, got int"):
        next(mixed)
