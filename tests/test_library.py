"""propscope as a Python library: the public API, pandas frames, notebook display and spaCy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import propscope
from propscope import Analysis, Article, SentenceFlag, Span
from tests.conftest import REPO

EDITORIAL = (REPO / "examples" / "editorial.txt").read_text(encoding="utf-8")
TEXT = "The corrupt elites lied again. Take back our harbour!"
KNOWN = Analysis(
    Article(id="k", text=TEXT, title="Harbour <b>news</b>", source="Gazette"),
    (Span(4, 18, "Name_Calling,Labeling", 0.7), Span(4, 11, "Loaded_Language", 0.8), Span(31, 53, "Slogans", 0.6)),
    (SentenceFlag(0, 30, True, 0.9, ("Loaded_Language", "Name_Calling,Labeling")), SentenceFlag(31, 53, True, 0.7)),
    score=0.8,
    covered_share=0.6,
    model_id="m",
)


@pytest.fixture(scope="module")
def detector() -> propscope.Detector:
    return propscope.load()


def test_import_is_light_and_names_are_few() -> None:
    heavy = "('onnxruntime', 'pandas', 'torch', 'sqlalchemy')"
    code = f"import sys, propscope; print(sorted(m for m in {heavy} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    assert {"load", "Detector", "Analysis", "Article", "Span", "to_frame", "Report"} <= set(dir(propscope))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        propscope.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_options_live_on_the_detector_and_are_checked(detector: propscope.Detector) -> None:
    assert repr(detector).startswith("Detector(model='propscope-minilm', threshold=")
    strict = detector.with_options(threshold=0.9, techniques="Doubt")
    assert (strict.threshold, strict.techniques) == (0.9, ("Doubt",))
    assert detector.techniques is None  # with_options leaves the original alone
    with pytest.raises(ValueError, match="threshold must be a number in \\[0, 1\\]"):
        detector.with_options(threshold=2)
    with pytest.raises(ValueError, match="unknown technique 'Lies' in the semeval2020 scheme; expected one of: Appeal"):
        propscope.load(techniques=["Lies"])
    only = detector.with_options(threshold=0.05, techniques=["Loaded_Language"]).analyze(EDITORIAL)
    assert {s.technique for s in only.spans} == {"Loaded_Language"}


def test_analyze_takes_text_or_article_with_metadata(detector: propscope.Detector) -> None:
    analysis = detector.analyze(EDITORIAL, title="Harbour", source="Gazette", published="2024-05-02")
    assert (analysis.article.title, analysis.article.source, str(analysis.article.published)) == (
        "Harbour",
        "Gazette",
        "2024-05-02",
    )
    again = next(detector.analyze_many([EDITORIAL]))
    assert analysis.article.id == again.article.id and analysis.article.id.startswith("text-")  # stable ids
    renamed = detector.analyze(Article(id="a", text=EDITORIAL, source="X"), source="Y")
    assert (renamed.article.id, renamed.article.source) == ("a", "Y")
    with pytest.raises(TypeError, match="analyze_many\\(\\) takes an iterable of texts or articles"):
        detector.analyze_many("a text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="published must be a date or YYYY-MM-DD"):
        detector.analyze("x", published="soon")


def test_values_read_back_and_print_short() -> None:
    assert [KNOWN.text_of(span) for span in KNOWN.spans] == ["corrupt elites", "corrupt", "Take back our harbour!"]
    assert Analysis.from_dict(__import__("json").loads(KNOWN.to_json())) == KNOWN
    assert repr(KNOWN) == "Analysis(article='k', 3 spans, score=0.80, model='m')"
    assert repr(KNOWN.article) == "Article(id='k', title='Harbour <b>news</b>', 53 characters)"


def test_frames_have_one_row_per_span_and_per_article() -> None:
    pytest.importorskip("pandas")
    spans = KNOWN.spans_frame()
    assert list(spans.columns) == ["article_id", "technique", "start", "end", "text", "score", "sentence"]
    assert spans.to_dict("records") == [
        {"article_id": "k", "technique": "Name_Calling,Labeling", "start": 4, "end": 18, "text": "corrupt elites",
         "score": 0.7, "sentence": 0},
        {"article_id": "k", "technique": "Loaded_Language", "start": 4, "end": 11, "text": "corrupt", "score": 0.8,
         "sentence": 0},
        {"article_id": "k", "technique": "Slogans", "start": 31, "end": 53, "text": "Take back our harbour!",
         "score": 0.6, "sentence": 1},
    ]  # fmt: skip
    articles = propscope.articles_frame([KNOWN])
    assert articles.loc[0, ["article_id", "source", "spans", "flagged_sentences"]].tolist() == ["k", "Gazette", 3, 2]
    assert propscope.to_frame([KNOWN]).shape == (3, 7)


def test_statistics_rows_become_frames() -> None:
    pytest.importorskip("pandas")
    from propscope.store.queries import TechniqueStats

    rows = [TechniqueStats("Doubt", 3, 2, 0.75, 1.5), TechniqueStats("Slogans", 1, 1, 0.25, 0.5)]
    frame = propscope.to_frame(rows)
    assert frame["technique"].tolist() == ["Doubt", "Slogans"] and frame["spans"].sum() == 4
    with pytest.raises(TypeError, match="takes analyses or result rows"):
        propscope.to_frame([1, 2])


def test_notebook_display_is_the_report_escaped_in_a_sandbox(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import html as markup

    shown = KNOWN._repr_html_()
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and 'sandbox="allow-scripts"' in shown
    page = markup.unescape(shown.split('srcdoc="', 1)[1].split('" sandbox=', 1)[0])
    assert page.startswith("<!DOCTYPE html>") and "Harbour &lt;b&gt;news&lt;/b&gt;" in page  # escaped in the page
    assert "<b>news</b>" not in shown
    many = propscope.Report([KNOWN, KNOWN], title="Two")
    assert "Articles</h2>" in many.html() and many._repr_html_().startswith("<iframe")
    many.save(str(tmp_path / "r.html"))
    saved = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert saved.startswith("<!DOCTYPE html>") and "propscope report: Two" in saved


def test_spacy_component_sets_exact_spans_scores_and_article_score(detector: propscope.Detector) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("propscope", config={"threshold": 0.3})
    doc = nlp(EDITORIAL)
    expected = detector.with_options(threshold=0.3).analyze(EDITORIAL)
    group = doc.spans["propaganda"]
    assert [(s.start_char, s.end_char, s.label_) for s in group] == [
        (s.start, s.end, s.technique) for s in expected.spans
    ]
    assert group.attrs["scores"] == [s.score for s in expected.spans]
    assert group.attrs["char_offsets"] == [(s.start, s.end) for s in expected.spans]
    assert doc._.propaganda_score == expected.score and len(list(doc.sents)) > 1
    batched = list(nlp.pipe([EDITORIAL, "The council meets on Tuesday.", EDITORIAL], batch_size=2))
    assert [(s.start_char, s.label_) for s in batched[0].spans["propaganda"]] == [
        (s.start, s.technique) for s in expected.spans
    ]
    assert [(s.start_char, s.label_) for s in batched[2].spans["propaganda"]] == [
        (s.start, s.technique) for s in expected.spans
    ]


def test_spacy_component_keeps_exact_offsets_when_tokens_do_not_align() -> None:
    spacy = pytest.importorskip("spacy")
    from propscope.integrations.spacy import PropscopeComponent

    class Fixed:
        model_id = "fixed"

        def analyze(self, text: str) -> Analysis:
            return Analysis(Article("a", text), (Span(2, 6, "Doubt", 0.5),), model_id="fixed")

    doc = PropscopeComponent(Fixed())(spacy.blank("en")("abcdefgh ij"))  # type: ignore[arg-type]
    (span,) = doc.spans["propaganda"]
    assert (span.start_char, span.end_char) == (0, 8)  # widened to the whole token
    assert doc.spans["propaganda"].attrs["char_offsets"] == [(2, 6)]  # what propscope found, exactly
