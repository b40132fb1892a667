"""Re-reading a span marked in its context: the input the marked span classifier sees."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from propscope.detect.features import span_features
from propscope.detect.marked_spans import MarkedInput, marked_input, marked_text, pooled_marked
from propscope.detect.predict import Encoded, PassagesRead, SpanHead
from propscope.detect.tuning import RememberingClassifier
from propscope.detect.windows import load_tokenizer

TEXT = "A headline.\nThey are vile, cowardly traitors who hate us.\nThe end."


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from propscope.detect.model import default_model_dir

    return load_tokenizer(str(default_model_dir() / "tokenizer.json"))


def test_span_is_marked_inside_its_own_paragraph_only() -> None:
    start = TEXT.index("vile")
    end = TEXT.index(" who")
    marked, span_start, span_end = marked_text(TEXT, start, end)
    assert marked == "They are « vile, cowardly traitors » who hate us."
    assert marked[span_start:span_end] == "vile, cowardly traitors"


def test_a_passage_in_a_paragraph_is_read_with_its_own_sentence_only() -> None:
    """The heads learnt from one sentence a line: a paragraph must not give them more."""
    paragraph = "A headline. They are vile, cowardly traitors who hate us. The end."
    start, end = paragraph.index("vile"), paragraph.index(" who")
    assert marked_text(paragraph, start, end)[0] == "They are « vile, cowardly traitors » who hate us."
    across = paragraph.index("us. The")
    assert (
        marked_text(paragraph, across, across + len("us. The"))[0]
        == "They are vile, cowardly traitors who hate « us. The » end."
    )


def test_a_passage_measures_its_share_of_its_own_sentence() -> None:
    lines = "They lie.\nThey are vile traitors.\nThe end."
    start = lines.index("vile traitors")
    end = start + len("vile traitors")
    in_lines = span_features(lines, start, end)
    in_paragraph = span_features(lines.replace("\n", " "), start, end)
    assert in_lines[2] == in_paragraph[2] == pytest.approx(len("vile traitors") / len("They are vile traitors."))


def test_long_context_is_cut_at_word_boundaries() -> None:
    left = " ".join(f"left{i}" for i in range(60))
    right = " ".join(f"right{i}" for i in range(60))
    text = f"{left} SLOGAN NOW {right}"
    start = text.index("SLOGAN")
    marked, span_start, span_end = marked_text(text, start, start + len("SLOGAN NOW"))
    assert marked[span_start:span_end] == "SLOGAN NOW"
    context_left, _, rest = marked.partition(" « ")
    context_right = rest.partition(" »")[2]
    assert 150 < len(context_left) <= 200 and context_left.split()[0].startswith("left")
    assert 150 < len(context_right) <= 201 and context_right.split()[-1].startswith("right")
    assert context_left.split()[0] in left.split() and context_right.split()[-1] in right.split()


def test_marked_input_points_at_the_span_tokens_even_when_cut(tokenizer) -> None:  # type: ignore[no-untyped-def]
    start, end = TEXT.index("cowardly"), TEXT.index(" who")
    item = marked_input(tokenizer, TEXT, start, end)
    assert tokenizer.decode([int(i) for i in item.ids[item.first - 1 : item.last - 1]]) == "cowardly traitors"

    long_text = " ".join(["word"] * 400) + " the harbour is ours " + " ".join(["word"] * 400)
    start = long_text.index("the harbour")
    item = marked_input(tokenizer, long_text, start, start + len("the harbour is ours"), max_tokens=12)
    assert len(item.ids) == 12
    assert tokenizer.decode([int(i) for i in item.ids[item.first - 1 : item.last - 1]]) == "the harbour is ours"


def test_pooling_takes_the_span_and_the_unpadded_input() -> None:
    hidden = np.arange(8, dtype=np.float32).reshape(8, 1) * np.ones((1, 2), np.float32)  # row i holds i
    item = MarkedInput(ids=np.array([5, 6, 7, 8], dtype=np.int64), first=2, last=4)  # [CLS] 5 6 7 8 [SEP] pad pad
    assert pooled_marked(hidden, item).tolist() == [2.5, 2.5, 2.5, 2.5]  # rows 2-3; rows 0-5 (not the padding)


class CountingClassifier:
    names = ("A", "B")

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def probabilities(self, text: str, encoded: Encoded, ranges: Sequence[tuple[int, int]]) -> NDArray[np.float32]:
        self.asked += list(ranges)
        return np.asarray([[start / 10, end / 10] for start, end in ranges], np.float32).reshape(-1, 2)


def test_tuning_asks_the_classifier_once_per_passage() -> None:
    inner = CountingClassifier()
    remembering = RememberingClassifier(inner)
    encoded = Encoded.empty(None, 15)  # type: ignore[arg-type]
    first = remembering.probabilities("text", encoded, [(1, 2), (3, 4)])
    again = remembering.probabilities("text", encoded, [(3, 4), (1, 2), (5, 6)])
    assert inner.asked == [(1, 2), (3, 4), (5, 6)]
    assert again.tolist() == [first[1].tolist(), first[0].tolist(), pytest.approx([0.5, 0.6])]
    assert remembering.probabilities("other text", encoded, [(1, 2)]).shape == (1, 2)
    assert inner.asked[-1] == (1, 2)


def test_a_passage_is_classified_the_same_whatever_else_was_found(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """An int8 encoder quantises activations per call, so each marked input gets its own call."""
    from propscope.detect.features import N_FEATURES
    from propscope.detect.marked_spans import MarkedReader, MarkedSpanClassifier
    from propscope.detect.predict import SpanHead

    calls: list[tuple[int, ...]] = []

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        calls.append(ids.shape)
        hidden = np.repeat(ids[..., None].astype(np.float32) / 1000.0, 3, axis=-1) * (
            1 + ids.shape[0]
        )  # batch-dependent
        return np.zeros((*ids.shape, 15), np.float32), hidden

    rng = np.random.default_rng(0)
    inputs = 2 * 3 + N_FEATURES
    head = SpanHead(
        rng.normal(size=(5, inputs)).astype(np.float32),
        np.zeros(5, np.float32),
        rng.normal(size=(2, 5)).astype(np.float32),
        np.zeros(2, np.float32),
        names=("A", "B"),
    )
    classifier = MarkedSpanClassifier(head, MarkedReader(tokenizer, run))
    vile, tail = (TEXT.index("vile"), TEXT.index(" who")), (TEXT.index("The end"), len(TEXT))
    alone = classifier.probabilities(TEXT, Encoded.empty(None, 15), [vile])  # type: ignore[arg-type]
    together = classifier.probabilities(TEXT, Encoded.empty(None, 15), [tail, vile])  # type: ignore[arg-type]
    assert together[1].tolist() == alone[0].tolist()
    assert all(shape[0] == 1 for shape in calls)


def test_passages_are_read_side_by_side_and_come_back_in_order(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """With two workers, two encoder calls are under way at once (the barrier lets neither
    through alone), and each row is still its own range's reading."""
    import threading

    from propscope.detect.marked_spans import MarkedReader

    both_running = threading.Barrier(2, timeout=30)
    threads: set[int] = set()

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        if not threads:
            both_running.wait()
        threads.add(threading.get_ident())
        hidden = np.repeat(ids[..., None].astype(np.float32), 3, axis=-1)
        return np.zeros((*ids.shape, 15), np.float32), hidden

    ranges = [(TEXT.index(word), TEXT.index(word) + len(word)) for word in ("vile", "traitors", "hate", "end")]
    together = MarkedReader(tokenizer, run, workers=2).readings(TEXT, ranges)
    assert len(threads) == 2
    alone = MarkedReader(tokenizer, run).readings(TEXT, ranges[::-1])
    assert together.tolist() == alone[::-1].tolist()
    assert len({tuple(row) for row in together}) == 4


class ReadingClassifier(CountingClassifier):
    """Raw score: half the peak; techniques as CountingClassifier gives them."""

    check_weight = 0.5

    def __init__(self) -> None:
        super().__init__()
        self.read_passages: list[tuple[int, int, float]] = []

    def read(self, text: str, encoded: Encoded, passages: Sequence[tuple[int, int, float]]) -> PassagesRead:
        self.read_passages += list(passages)
        raw = np.asarray([peak / 2 for _, _, peak in passages], np.float32)
        ranges = [(s, e) for s, e, _ in passages]
        return PassagesRead(raw, super().probabilities(text, encoded, ranges), ranges)


class LengtheningClassifier(ReadingClassifier):
    """ReadingClassifier that reports each passage one character longer (an edge model's move)."""

    def read(self, text: str, encoded: Encoded, passages: Sequence[tuple[int, int, float]]) -> PassagesRead:
        read = super().read(text, encoded, passages)
        return read._replace(ranges=[(s, e + 1) for s, e in read.ranges])


def test_tuning_reads_each_candidate_once_and_a_gold_range_never_sets_its_score() -> None:
    inner = LengtheningClassifier()
    remembering = RememberingClassifier(inner)
    encoded = Encoded.empty(None, 15)  # type: ignore[arg-type]
    remembering.probabilities("text", encoded, [(1, 2)])  # TC on a gold range first: no peak, no raw score
    raw = remembering.read("text", encoded, [(1, 2, 0.8), (3, 4, 0.6)]).raw
    again = remembering.read("text", encoded, [(3, 4, 0.6), (1, 2, 0.8)])
    assert raw.tolist() == pytest.approx([0.4, 0.3]) and again.raw.tolist() == pytest.approx([0.3, 0.4])
    assert inner.read_passages == [(1, 2, 0.8), (3, 4, 0.6)]
    assert again.techniques.tolist() == [pytest.approx([0.3, 0.4]), pytest.approx([0.1, 0.2])]
    assert again.ranges == [(3, 5), (1, 3)]  # reported where the classifier put them, from memory too
    assert remembering.check_weight == 0.5
    # the same range cleaned from another run, with another peak, gets its own score
    assert remembering.read("text", encoded, [(1, 2, 0.4)]).raw.tolist() == pytest.approx([0.2])


class NamingClassifier(ReadingClassifier):
    """ReadingClassifier that names found passages otherwise than given ranges, as a naming head does."""

    def read(self, text: str, encoded: Encoded, passages: Sequence[tuple[int, int, float]]) -> PassagesRead:
        read = super().read(text, encoded, passages)
        return read._replace(techniques=1 - read.techniques)


def test_tuning_names_a_gold_range_as_tc_does_even_where_a_passage_was_found() -> None:
    """TC scores given spans with the span head alone; a found passage with the same range is
    named with the naming head too, and tuning must not answer one from the other's memory."""
    remembering = RememberingClassifier(NamingClassifier())
    encoded = Encoded.empty(None, 15)  # type: ignore[arg-type]
    found = remembering.read("text", encoded, [(1, 2, 0.8)]).techniques
    given = remembering.probabilities("text", encoded, [(1, 2)])
    assert found.tolist() == [pytest.approx([0.9, 0.8])] and given.tolist() == [pytest.approx([0.1, 0.2])]
    assert remembering.read("text", encoded, [(1, 2, 0.8)]).techniques.tolist() == found.tolist()


def test_checked_score_needs_both_the_peak_and_the_check() -> None:
    from propscope.detect.predict import checked_scores

    peaks = np.asarray([0.64, 0.64, 0.25], np.float32)
    scores = checked_scores(peaks, np.asarray([0.25, 1.0, 1.0], np.float32), 0.5)
    assert scores.tolist() == pytest.approx([0.4, 0.8, 0.5])
    assert checked_scores(peaks, np.asarray([0.1, 0.2, 0.3], np.float32), 0.0).tolist() == pytest.approx(peaks)


def three_candidates(tokenizer) -> tuple[str, Encoded]:  # type: ignore[no-untyped-def]
    """A text whose only candidates are "Honest", "Vile" and "Cowards", with peaks 0.2, 0.9 and
    0.6, and hidden vectors 3 wide."""
    from propscope.detect.windows import tokenize

    text = "Honest neighbours met. Vile traitors lie. Cowards flee."
    tokens = tokenize(tokenizer, text)
    presence = np.zeros(len(tokens), np.float32)
    for word, peak in (("Honest", 0.2), ("Vile", 0.9), ("Cowards", 0.6)):
        presence[np.flatnonzero(tokens.offsets[:, 0] == text.index(word))] = peak
    probabilities = np.zeros((len(tokens), 15), np.float32)
    probabilities[:, 0] = presence
    return text, Encoded(tokens, probabilities, np.zeros((len(tokens), 3), np.float32))


def test_a_passage_the_check_rejects_is_not_reported_and_a_hopeless_one_is_not_read(tokenizer) -> None:  # type: ignore[no-untyped-def]
    from propscope.detect.calibration import UNCALIBRATED
    from propscope.detect.predict import Thresholds, reported_passages

    text, encoded = three_candidates(tokenizer)
    classifier = ReadingClassifier()
    reported = reported_passages(text, encoded, classifier, Thresholds(span=0.4, extend=0.15), UNCALIBRATED)
    # every passage could reach 0.4 (at best peak ** 0.5), so all are read; the fake check halves
    # each peak, which leaves only "Vile" (0.9 -> 0.45) at the threshold
    assert [text[s:e] for s, e, _ in classifier.read_passages] == ["Honest", "Vile", "Cowards"]
    assert [(text[s:e], score) for s, e, score, _ in reported] == [("Vile", pytest.approx(0.45))]
    classifier.read_passages.clear()
    reported_passages(text, encoded, classifier, Thresholds(span=0.5, extend=0.15), UNCALIBRATED)
    assert [text[s:e] for s, e, _ in classifier.read_passages] == ["Vile", "Cowards"]  # sqrt(0.2) < 0.5


def test_a_triage_leaves_unread_the_passages_its_estimate_cannot_lift_and_scores_the_rest_as_before(
    tokenizer,  # type: ignore[no-untyped-def]
) -> None:
    from propscope.detect.calibration import UNCALIBRATED
    from propscope.detect.features import N_FEATURES
    from propscope.detect.linear_map import LinearMap
    from propscope.detect.predict import Thresholds, reported_passages
    from propscope.detect.triage import Triage

    text, encoded = three_candidates(tokenizer)
    width = 2 * 3 + N_FEATURES + 1  # mean and max of 3-wide vectors, the features, the peak
    # an estimate of 0 in log-odds (a verdict of 0.5) for every passage: at best peak ** 0.5 * 0.5 ** 0.5
    estimate = LinearMap(
        np.zeros(width, np.float32),
        np.ones(width, np.float32),
        np.zeros((1, width), np.float32),
        np.zeros(1, np.float32),
    )
    triage = Triage(estimate, 0.0)
    thresholds = Thresholds(span=0.4, extend=0.15)
    classifier = ReadingClassifier()
    reported = reported_passages(text, encoded, classifier, thresholds, UNCALIBRATED, triage)
    assert [text[s:e] for s, e, _ in classifier.read_passages] == ["Vile", "Cowards"]  # 0.2 * 0.5 < 0.4 ** 2
    assert [(text[s:e], score) for s, e, score, _ in reported] == [("Vile", pytest.approx(0.45))]
    classifier.read_passages.clear()
    # a margin of 2 raises every estimate to sigmoid(2) = 0.88: "Honest" (0.2 * 0.88 > 0.16) is read again
    reported_passages(text, encoded, classifier, thresholds, UNCALIBRATED, Triage(estimate, 2.0))
    assert [text[s:e] for s, e, _ in classifier.read_passages] == ["Honest", "Vile", "Cowards"]
    classifier.read_passages.clear()
    assert reported_passages(text, encoded, classifier, thresholds, UNCALIBRATED, Triage(estimate, -3.0)) == []
    assert classifier.read_passages == []  # sigmoid(-3) * 0.9 < 0.16: nothing is worth reading


def test_a_head_of_several_members_gives_the_mean_of_their_probabilities() -> None:
    rng = np.random.default_rng(3)

    def member() -> SpanHead:
        w1, b1 = rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=4).astype(np.float32)
        w2, b2 = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=3).astype(np.float32)
        return SpanHead(w1, b1, w2, b2, names=("A", "B", "C"))

    heads = [member(), member()]
    inputs = rng.normal(size=(5, 6)).astype(np.float32)
    both = SpanHead.averaging(heads)
    assert both.w1.shape == (2, 4, 6) and both.names == ("A", "B", "C")
    expected = (heads[0].probabilities(inputs) + heads[1].probabilities(inputs)) / 2
    np.testing.assert_allclose(both.probabilities(inputs), expected, rtol=1e-6)
    assert not np.allclose(heads[0].probabilities(inputs), expected)  # the members do differ
    assert SpanHead.averaging(heads[:1]) is heads[0]
