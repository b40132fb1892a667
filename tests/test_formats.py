"""Readers and writers: exact offsets, round trips, and a clear error for each bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from propscope.article import Analysis, Article, SentenceFlag, Span
from propscope.errors import InputError
from propscope.formats import inputs, jsonl, ptc
from propscope.formats.files import read_text_file
from tests.conftest import TINY_TEXT


def test_tiny_folder_spans_are_the_phrases_we_labelled(tiny_ptc: Path) -> None:
    corpus = ptc.read_ptc_folder(tiny_ptc)
    article = corpus.articles["900"]
    assert article.title == "A Shameful Plan"
    assert [s.text_in(article) for s in corpus.tc_spans()["900"]] == ["corrupt", "corrupt elites", "Our brave nation"]
    # no SI file in the folder: SI gold is the TC spans with overlaps merged
    assert corpus.si_spans()["900"] == [(21, 35), (48, 64)]


def test_offsets_count_code_points_with_newlines_kept(tmp_path: Path) -> None:
    path = tmp_path / "article1.txt"
    path.write_bytes("Caf\u00e9 \u201cbad\u201d\r\nline two".encode())
    article = ptc.read_article_file(path)
    assert article.text == "Caf\u00e9 \u201cbad\u201d\r\nline two"
    assert article.text[6:9] == "bad"


def test_tc_labels_round_trip(tmp_path: Path) -> None:
    spans = {"7": [Span(3, 9, "Doubt"), Span(0, 4, "Loaded_Language")], "2": [Span(1, 2, "Slogans")]}
    path = tmp_path / "out.labels"
    path.write_text(ptc.format_tc_labels(spans))
    again = ptc.group_spans(ptc.read_label_file(path))
    assert {k: sorted(v) for k, v in again.items()} == {k: sorted(v) for k, v in spans.items()}
    assert path.read_text().splitlines()[0] == "2\tSlogans\t1\t2"


def test_si_labels_and_template_round_trip(tmp_path: Path) -> None:
    ranges = {"5": [(10, 20), (0, 3)]}
    si = tmp_path / "si.labels"
    si.write_text(ptc.format_si_labels(ranges))
    assert ptc.group_ranges(ptc.read_label_file(si)) == {"5": [(0, 3), (10, 20)]}
    template = tmp_path / "template.out"
    template.write_text(ptc.format_tc_template(ranges))
    rows = ptc.read_label_file(template)
    assert [(r.technique, r.start, r.end) for r in rows] == [("?", 0, 3), ("?", 10, 20)]


def test_analyses_round_trip_through_jsonl_and_json(tmp_path: Path) -> None:
    article = Article(id="a1", text=TINY_TEXT, title="A Shameful Plan", source="Example Times", author="J. Doe")
    analysis = Analysis(
        article=article,
        spans=(Span(21, 28, "Loaded_Language", 0.91), Span(21, 35, "Name_Calling,Labeling", 0.7)),
        sentences=(SentenceFlag(17, 47, True, 0.9, ("Loaded_Language",)),),
        score=0.5,
        covered_share=0.2,
        model_id="test",
    )
    for name in ("out.jsonl", "out.json"):
        jsonl.write_analyses(tmp_path / name, [analysis, analysis])
        assert list(jsonl.read_analyses(tmp_path / name)) == [analysis, analysis]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "1\t5\n",
            "x.labels:1: expected 3 tab-separated columns (id, start, end) or 4 (id, technique, start, end), found 2",
        ),
        ("1\t5\t3\n", "x.labels:1: span 5-3 is empty or negative; start must be below end"),
        ("1\tfive\t9\n", "x.labels:1: offsets must be whole numbers, found 'five' and '9'"),
        (
            "1\t0\t4\n1\tLies\t0\t4\n",
            "x.labels:2: unknown technique 'Lies'; run 'propscope techniques' for the 14 valid names",
        ),
    ],
)
def test_bad_label_rows_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.labels"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        ptc.read_label_file(path)
    assert str(caught.value) == f"{path.parent}/{message}"


def test_offset_outside_article(tiny_ptc: Path) -> None:
    labels = tiny_ptc / "tiny-labels-task-flc-tc" / "article900.task-flc-tc.labels"
    labels.write_text("900\tDoubt\t10\t500\n")
    with pytest.raises(
        InputError, match=r"article900.task-flc-tc.labels:1: span 10-500 ends after the 82 characters of article 900"
    ):
        ptc.read_ptc_folder(tiny_ptc)


def test_combined_label_file_at_the_top_is_read_as_the_organisers_name_it(tiny_ptc: Path) -> None:
    """`dev-task-flc-tc.labels`, the gold file of the release, beside the articles folder."""
    (tiny_ptc / "tiny-labels-task-flc-tc" / "article900.task-flc-tc.labels").unlink()
    (tiny_ptc / "tiny-task-flc-tc.labels").write_text("900\tDoubt\t1\t5\n")
    rows = ptc.read_ptc_folder(tiny_ptc).tc_rows
    assert [(r.article_id, r.technique, r.start, r.end) for r in rows] == [("900", "Doubt", 1, 5)]


def test_label_for_article_without_text(tiny_ptc: Path) -> None:
    labels = tiny_ptc / "tiny-labels-task-flc-tc" / "article900.task-flc-tc.labels"
    labels.write_text("901\tDoubt\t1\t5\n")
    with pytest.raises(InputError, match=r"labels:1: article 901 has no text \(no article901.txt in the folder\)"):
        ptc.read_ptc_folder(tiny_ptc)


def test_non_utf8_and_binary_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9".encode("latin-1"))
    with pytest.raises(
        InputError, match=r"latin.txt: is not UTF-8 text \(invalid byte at position 3\); re-save it as UTF-8"
    ):
        read_text_file(latin)
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    with pytest.raises(InputError, match="looks like a binary file"):
        read_text_file(binary)


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"holds no article<ID>\.txt files"):
        ptc.read_ptc_folder(tmp_path)
    with pytest.raises(InputError, match="no such file or folder"):
        ptc.read_ptc_folder(tmp_path / "nope")
    with pytest.raises(InputError, match=r"holds no article files; put articles there as \.txt, \.html, \.htm"):
        list(inputs.read_articles(str(tmp_path)))


def test_plain_text_folder_is_read_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "a.txt").write_text("first")
    assert [(a.id, a.text) for a in inputs.read_articles(str(tmp_path))] == [("a", "first"), ("b", "second")]


def test_both_release_layouts_read_the_same_dev_gold(ptc_dir: Path) -> None:
    corpus = ptc.read_ptc_folder(ptc_dir / "dev")
    assert len(corpus.articles) == 75
    assert sum(len(s) for s in corpus.tc_spans().values()) == 1063
    per_article = [
        row for p in sorted((ptc_dir / "dev" / "dev-labels-task-flc-tc").iterdir()) for row in ptc.read_label_file(p)
    ]
    assert sorted((r.article_id, r.start, r.end, r.technique) for r in per_article) == sorted(
        (r.article_id, r.start, r.end, r.technique) for r in corpus.tc_rows
    )
