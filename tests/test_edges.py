"""Moving found passages' edges: the moves allowed, the move chosen, overlaps, the fit, and `propscope edges`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from propscope.detect.edges import EDGE_MOVES, EDGES_FILE, EdgeModel, Move, moved_ranges, without_overlaps
from propscope.detect.linear_map import LinearMap
from propscope.detect.predict import Encoded, PassagesRead, Thresholds, find_spans
from propscope.detect.runtime import ModelRuntime, default_model_dir
from propscope.detect.windows import load_tokenizer, tokenize
from propscope.techniques import TECHNIQUE_NAMES
from propscope.train.edges import EdgeExamples, choose_margin, fit_edge_model, passage_value
from tests.conftest import run_cli, shipped_copy_without

TEXT = "Officials said the corrupt elites stole our harbour again.\nThe council meets on Tuesday."


@pytest.fixture(scope="module")
def offsets() -> np.ndarray:
    return tokenize(load_tokenizer(str(default_model_dir() / "tokenizer.json")), TEXT).offsets


def at(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return start, start + len(phrase)


def test_moves_keep_whole_words_on_one_line_and_never_only_function_words(offsets: np.ndarray) -> None:
    moved = {move: TEXT[s:e] for move, (s, e) in moved_ranges(TEXT, offsets, *at("corrupt elites")).items()}
    assert moved == {
        (-2, -1): "said the corrupt",
        (-2, 0): "said the corrupt elites",
        (-2, 1): "said the corrupt elites stole",
        (-1, -1): "the corrupt",
        (-1, 0): "the corrupt elites",
        (-1, 1): "the corrupt elites stole",
        (0, -1): "corrupt",
        (0, 0): "corrupt elites",
        (0, 1): "corrupt elites stole",
        (1, 0): "elites",
        (1, 1): "elites stole",
        (2, 1): "stole",
    }  # "the" alone (-1, -2) is only a function word
    # the end never crosses the line break, and a passage at the start of the text opens nowhere before it
    assert max(e for _, e in moved_ranges(TEXT, offsets, *at("harbour again")).values()) == at("again.")[1]
    assert {TEXT[s:e] for s, e in moved_ranges(TEXT, offsets, *at("Officials")).values()} == {
        "Officials",
        "Officials said",
        "said",
    }
    assert moved_ranges(TEXT, offsets, *at("our")) == {}  # a passage decoding would not report moves nowhere


def model_estimating(gains: dict[Move, float], margin: float = 0.0) -> tuple[EdgeModel, np.ndarray]:
    """An edge model with one input whose estimates are `gains` (others 0) for an input of 1."""
    weights = np.asarray([[gains.get(move, 0.0)] for move in EDGE_MOVES], np.float32)
    ones = np.ones(1, np.float32)
    estimate = LinearMap(np.zeros(1, np.float32), ones, weights, np.zeros(len(EDGE_MOVES), np.float32))
    return EdgeModel(estimate, margin), ones


def test_each_edge_takes_its_best_move_over_the_margin(offsets: np.ndarray) -> None:
    passage = [at("corrupt elites")]
    model, vector = model_estimating({(-1, 0): 0.2, (-2, 0): 0.1, (0, 1): 0.05, (0, -1): 0.01})
    [(s, e)] = model.moved(TEXT, offsets, passage, vector[None])
    assert TEXT[s:e] == "the corrupt elites stole"  # both edges moved together
    strict, _ = model_estimating({(-1, 0): 0.2, (0, 1): 0.05}, margin=0.1)
    [(s, e)] = strict.moved(TEXT, offsets, passage, vector[None])
    assert TEXT[s:e] == "the corrupt elites"  # the end's gain does not clear the margin
    neither, _ = model_estimating({(-1, 0): 0.2, (0, 1): 0.05}, margin=0.5)
    assert neither.moved(TEXT, offsets, passage, vector[None]) == passage
    # when both moves together are not allowed, the edge estimated to gain more moves alone
    assert model.move(np.asarray([0.1, 0.3, 0, 0, 0, 0, 0.2, 0], np.float32), {(0, 0), (-1, 0), (0, 1)}) == (-1, 0)
    assert model.move(np.asarray([0.1, 0.3, 0, 0, 0, 0, 0.4, 0], np.float32), {(0, 0), (-1, 0), (0, 1)}) == (0, 1)


def test_a_passage_yields_to_higher_scored_ones_only() -> None:
    elites, stole, harbour = at("corrupt elites"), at("stole"), at("our harbour again")
    # no overlap: every passage as moved
    moved = [at("the corrupt elites"), stole, at("harbour again")]
    assert without_overlaps(TEXT, [elites, stole, harbour], moved, [0.5, 0.6, 0.7]) == moved
    # the higher-scored move wins; the lower one keeps its original range where that is free
    moved = [at("corrupt elites stole"), at("stole our"), harbour]
    assert without_overlaps(TEXT, [elites, stole, harbour], moved, [0.9, 0.5, 0.7]) == [
        at("corrupt elites stole"),
        None,  # "stole" is inside the first passage's move: nothing of it is left
        harbour,
    ]
    assert without_overlaps(TEXT, [elites, stole, harbour], moved, [0.5, 0.9, 0.7]) == [
        elites,
        at("stole our"),
        at("harbour again"),  # the words "stole our" leaves it
    ]
    # a higher move reaching into a lower passage leaves it the words it does not take
    assert without_overlaps(TEXT, [elites, harbour], [at("corrupt elites stole our"), harbour], [0.9, 0.5]) == [
        at("corrupt elites stole our"),
        at("harbour again"),
    ]
    # only function words left: dropped
    assert without_overlaps(
        TEXT, [elites, at("our harbour")], [at("corrupt elites stole our harbour"), at("our harbour")], [0.9, 0.5]
    ) == [
        at("corrupt elites stole our harbour"),
        None,
    ]


def test_lowering_the_threshold_adds_passages_and_moves_none() -> None:
    original = [at("corrupt elites"), at("stole"), at("our harbour again")]
    moved = [at("corrupt elites stole"), at("stole our"), at("harbour again")]
    scores = [0.9, 0.5, 0.7]
    everything = dict(zip(original, without_overlaps(TEXT, original, moved, scores), strict=True))
    for threshold in (0.6, 0.8):
        kept = [i for i, score in enumerate(scores) if score >= threshold]
        above = without_overlaps(TEXT, [original[i] for i in kept], [moved[i] for i in kept], [scores[i] for i in kept])
        assert above == [everything[original[i]] for i in kept]


class MovingClassifier:
    """Reports every candidate at the range given for it in `moved`, with its score in `scores` (else 0.9)."""

    names = TECHNIQUE_NAMES
    check_weight = 0.0

    def __init__(
        self, moved: dict[tuple[int, int], tuple[int, int]], scores: dict[tuple[int, int], float] | None = None
    ) -> None:
        self.moved = moved
        self.scores = scores or {}

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
        return np.tile(np.eye(len(TECHNIQUE_NAMES), dtype=np.float32)[0], (len(ranges), 1))

    def read(self, text: str, encoded: Encoded, passages: Sequence[tuple[int, int, float]]) -> PassagesRead:
        ranges = [(s, e) for s, e, _ in passages]
        return PassagesRead(
            np.asarray([self.scores.get(r, 0.9) for r in ranges], np.float32),
            self.probabilities(text, encoded, ranges),
            [self.moved.get(r, r) for r in ranges],
        )


def test_spans_are_reported_where_the_classifier_moved_them_and_never_overlap(offsets: np.ndarray) -> None:
    tokens = tokenize(load_tokenizer(str(default_model_dir() / "tokenizer.json")), TEXT)
    presence = np.zeros(len(offsets), np.float32)
    for phrase in ("corrupt elites", "harbour"):
        s, e = at(phrase)
        presence[(offsets[:, 0] >= s) & (offsets[:, 1] <= e)] = 0.9
    probabilities = np.zeros((len(offsets), 15), np.float32)
    probabilities[:, 0] = presence
    encoded = Encoded(tokens, probabilities, np.zeros((len(offsets), 1), np.float32))
    thresholds = Thresholds(span=0.5, extend=0.5)
    moved = MovingClassifier({at("corrupt elites"): at("the corrupt elites"), at("harbour"): at("our harbour")})
    found = [TEXT[s.start : s.end] for s in find_spans(TEXT, encoded, moved, thresholds)]
    assert found == ["the corrupt elites", "our harbour"]
    onto = {at("corrupt elites"): at("corrupt elites stole our harbour")}
    found = [TEXT[s.start : s.end] for s in find_spans(TEXT, encoded, MovingClassifier(onto), thresholds)]
    assert found == ["corrupt elites stole our harbour"]  # "harbour", scored no higher, is not flagged twice
    harbour_higher = MovingClassifier(onto, {at("harbour"): 0.95})
    found = [TEXT[s.start : s.end] for s in find_spans(TEXT, encoded, harbour_higher, thresholds)]
    assert found == ["corrupt elites", "harbour"]  # the move would take a word of a passage scored higher


def test_a_move_gains_what_the_official_score_counts_with_precision_twice() -> None:
    gold = [(10, 20)]
    assert passage_value(10, 20, gold) == pytest.approx(2 * 1.0 + 1.0)
    assert passage_value(5, 20, gold) == pytest.approx(2 * 10 / 15 + 1.0)  # five characters too many
    assert passage_value(10, 15, gold) == pytest.approx(2 * 1.0 + 0.5)  # half the gold missed
    assert passage_value(10, 30, [(10, 20), (25, 30)]) == pytest.approx(2 * 15 / 20 + 2.0)


def examples_where(signs: np.ndarray, articles: list[str]) -> EdgeExamples:
    """Examples whose start should move one word out exactly when the first input is positive."""
    rng = np.random.default_rng(0)
    vectors = np.column_stack([signs, rng.normal(size=(len(signs), 3))]).astype(np.float32)
    values = [{(0, 0): 0.0, (-1, 0): 0.5 * float(sign), (0, 1): -0.2} for sign in signs]
    return EdgeExamples(np.asarray(articles), vectors, values)


def test_the_fit_learns_which_passages_a_move_helps_and_chooses_a_margin_out_of_fold() -> None:
    signs = np.asarray([1, -1] * 20, np.float32)
    examples = examples_where(signs, [f"a{k // 4}" for k in range(40)])
    model = fit_edge_model(examples, ridge=1.0)
    gains = model.gains(examples.vectors)
    assert (np.sign(gains[:, EDGE_MOVES.index((-1, 0))]) == signs).all()
    assert (gains[:, EDGE_MOVES.index((0, 1))] < 0).all()
    assert (gains[:, EDGE_MOVES.index((2, 0))] == -1).all()  # never allowed: never estimated to gain
    choice = choose_margin(examples, ridge=1.0)
    assert choice.moved_share == pytest.approx(0.5) and choice.gain == pytest.approx(0.25)
    assert choice.margin == 0.08  # every margin up to 0.08 moves the same passages: the largest


def test_a_tagger_that_found_nothing_to_learn_from_adds_no_rows() -> None:
    first = examples_where(np.asarray([1, -1], np.float32), ["a", "a"])
    last = examples_where(np.asarray([-1], np.float32), ["b"])
    nothing = EdgeExamples(np.asarray([], str), np.zeros((0, 0), np.float32), [])  # as edge_examples gives it
    joined = EdgeExamples.joined([first, nothing, last])
    assert joined.articles.tolist() == ["a", "a", "b"] and joined.values == first.values + last.values
    np.testing.assert_array_equal(joined.vectors, np.concatenate([first.vectors, last.vectors]))
    assert EdgeExamples.joined([nothing, nothing]).vectors.shape == (0, 0)


def test_a_saved_edge_model_loads_with_the_margin_its_model_records(tmp_path: Path) -> None:
    model, vector = model_estimating({(-1, 0): 0.2})
    model.estimate.save(tmp_path / EDGES_FILE)
    loaded = EdgeModel.load(tmp_path / EDGES_FILE, 0.05)
    assert loaded.margin == 0.05 and (loaded.gains(vector[None]) == model.gains(vector[None])).all()


def test_propscope_edges_gives_a_shipped_model_edges_and_records_them(tiny_ptc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    before = shipped_copy_without(folder, "edges", EDGES_FILE)
    tagger = default_model_dir("semeval2023")  # a tagger that never trained on the tiny article
    result = run_cli("edges", str(folder), "--out-of-fold", f"{tagger}={tiny_ptc}", "--dev-dir", str(tiny_ptc))
    assert result.returncode == 0, result.stderr[-2000:]
    after = json.loads((folder / "propscope-model.json").read_text())
    recorded = after["edges"]
    assert recorded["found"] == [{"tagger": "propscope-minilm-semeval2023", "articles": 1, "passages": 2}]
    assert recorded["margin"] == 0.08  # one article: nothing to cross-fit, so the most cautious margin
    assert json.loads(result.stdout)["edges"] == recorded
    runtime = ModelRuntime.load(folder)
    assert runtime.edges is not None and runtime.edges.margin == 0.08
    assert runtime.edges.estimate.weights.shape == (len(EDGE_MOVES), 9 * runtime.hidden_size)
    assert after["dev"]["si"]["gold"] == 2  # re-measured, with the edges, on the dev folder given
    assert after["command"] == before["command"] + (
        f" && propscope edges {tmp_path.name}/model --out-of-fold src/propscope/models/propscope-minilm-semeval2023="
        f"{tmp_path.name}/tiny"
    )
    assert "- Passage edges: " in (folder / "MODEL_CARD.md").read_text()

    bad = run_cli("edges", str(folder), "--out-of-fold", str(tagger))
    assert bad.returncode == 2 and "is not TAGGER=FOLDER" in bad.stderr
    missing = run_cli("edges", str(folder), "--out-of-fold", f"{tmp_path / 'nowhere'}={tiny_ptc}")
    assert missing.returncode == 1 and "model folder not found" in missing.stderr
    assert json.loads((folder / "propscope-model.json").read_text()) == after  # refused before anything was fitted
    both = run_cli("edges", str(folder), "--out-of-fold", f"{tagger}={tiny_ptc}", "--train-dir", str(tiny_ptc))
    assert both.returncode == 2 and "not both" in both.stderr
    pooled = run_cli("edges", str(default_model_dir("semeval2023")), "--out-of-fold", f"{tagger}={tiny_ptc}")
    assert pooled.returncode == 1 and "only a model shipped with --span-input marked" in pooled.stderr
    assert pooled.stderr.count("\n") == 1

    # without folds, the passages the model finds in its own training articles teach the moves
    own = run_cli("edges", str(folder), "--train-dir", str(tiny_ptc), "--dev-dir", str(tiny_ptc))
    assert own.returncode == 0, own.stderr[-2000:]
    recorded = json.loads((folder / "propscope-model.json").read_text())["edges"]
    assert recorded["found"] == [{"tagger": "model", "articles": 1, "passages": 2, "own": True}]
    card = (folder / "MODEL_CARD.md").read_text()
    assert "overlapping gold that the model itself finds in its 1 training articles;" in card
    assert "taggers trained apart" not in card.split("- Passage edges: ")[1].split("\n")[0]
