"""The passage check's own encoder layers: how their verdict joins the check's, the encoder
output they read, and the int8 storage of heads that makes room for them in the model folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from propscope.detect.check_layers import CHECK_INPUT, CheckLayers
from propscope.detect.features import N_FEATURES
from propscope.detect.marked_spans import MarkedReader, MarkedSpanClassifier, PassageCheck
from propscope.detect.predict import Encoded, SpanHead
from propscope.detect.windows import load_tokenizer
from tests.conftest import run_cli

TEXT = "A headline.\nThey are vile, cowardly traitors who hate us.\nThe end."


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from propscope.detect.runtime import default_model_dir

    return load_tokenizer(str(default_model_dir() / "tokenizer.json"))


class LengthVerdicts:
    """Stands in for the layers' ONNX session: the verdict is 0.1 per passage token, so the two
    passages below get different ones; records the inputs it was given."""

    def __init__(self) -> None:
        self.feeds: list[dict[str, NDArray[Any]]] = []

    def run(self, names: Any, feeds: dict[str, NDArray[Any]]) -> list[NDArray[np.float32]]:
        self.feeds.append(feeds)
        return [np.asarray([0.1 * feeds["span"].sum()], np.float32)]


def constant_head(names: tuple[str, str], second: float, width: int) -> SpanHead:
    """A two-output head whose second output is `second` for any input `width` wide."""
    return SpanHead(
        np.zeros((1, width), np.float32),
        np.zeros(1, np.float32),
        np.zeros((2, 1), np.float32),
        np.log(np.asarray([1 - second, second], np.float32)),
        names=names,
    )


def test_a_passage_is_scored_by_the_geometric_mean_of_the_checks_and_the_layers_verdicts(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """Raw score = peak^(1 - w) * (check^(1 - share) * layers^share)^w, the layers reading the
    encoder's third output with the passage's own tokens marked."""

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> list[NDArray[np.float32]]:
        hidden = np.ones((*ids.shape, 3), np.float32)
        return [np.zeros((*ids.shape, 15), np.float32), hidden, 2 * hidden]

    session = LengthVerdicts()
    layers = CheckLayers(session, share=0.5)  # type: ignore[arg-type]
    width = 2 * 3 + N_FEATURES
    check = PassageCheck(constant_head(("no technique", "technique"), 0.4, width), weight=0.5)
    classifier = MarkedSpanClassifier(
        constant_head(("A", "B"), 0.5, width), MarkedReader(tokenizer, run, layers=layers), check
    )
    vile = (TEXT.index("vile"), TEXT.index(" who"))
    words = (TEXT.index("hate"), TEXT.index("hate") + 4)
    encoded = Encoded.empty(None, 15)  # type: ignore[arg-type]
    read = classifier.read(TEXT, encoded, [(*vile, 0.81), (*words, 0.64)])
    passage_tokens = [float(feeds["span"].sum()) for feeds in session.feeds]
    assert passage_tokens == [6.0, 1.0]  # "vile , cow ##ard ##ly traitors" and "hate"
    assert all(np.all(feeds["hidden"] == 2.0) for feeds in session.feeds)  # the third output, not the hidden one
    verdicts = [(0.4 * 0.1 * n) ** 0.5 for n in passage_tokens]
    assert read.raw.tolist() == pytest.approx([0.81**0.5 * verdicts[0] ** 0.5, 0.64**0.5 * verdicts[1] ** 0.5])
    inputs = np.zeros((1, width), np.float32)
    with pytest.raises(ValueError, match="check layers' verdicts are needed"):
        classifier.verdicts(encoded, [vile], inputs)  # a caller that forgot the layers' verdicts is told


def test_the_encoder_with_the_check_input_gives_the_tagger_the_same_outputs(tmp_path: Path) -> None:
    """The layers' input is one more output of the same graph: the token probabilities and
    hidden vectors stay as they were, to the bit."""
    pytest.importorskip("onnx")
    import onnxruntime as ort

    from propscope.detect.runtime import default_model_dir
    from propscope.train.check_layers import with_check_input

    source = default_model_dir() / "encoder.onnx"
    with_check_input(source, tmp_path / "encoder.onnx", layers=2)
    ids = np.asarray([[101, 2023, 2003, 6659, 999, 102]], np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    before = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"]).run(None, feeds)
    after = ort.InferenceSession(str(tmp_path / "encoder.onnx"), providers=["CPUExecutionProvider"])
    assert [output.name for output in after.get_outputs()] == ["probabilities", "hidden", CHECK_INPUT]
    probabilities, hidden, below = after.run(None, feeds)
    assert probabilities.tolist() == before[0].tolist() and hidden.tolist() == before[1].tolist()
    assert below.shape == hidden.shape and not np.allclose(below, hidden)
    with pytest.raises(Exception, match="give --layers from 1 to 5"):
        with_check_input(source, tmp_path / "deeper.onnx", layers=6)


def test_a_head_stored_in_int8_takes_a_quarter_of_the_bytes_and_nearly_the_same_probabilities(tmp_path: Path) -> None:
    from propscope.detect.runtime import load_head, save_head

    rng = np.random.default_rng(3)
    head = SpanHead(
        rng.normal(0, 0.05, (3, 64, 200)).astype(np.float32),
        rng.normal(0, 0.05, (3, 64)).astype(np.float32),
        rng.normal(0, 0.05, (3, 4, 64)).astype(np.float32),
        rng.normal(0, 0.05, (3, 4)).astype(np.float32),
        names=("A", "B", "C", "D"),
    )
    save_head(tmp_path / "float.npz", head)
    save_head(tmp_path / "int8.npz", head, np.int8)
    assert (tmp_path / "int8.npz").stat().st_size < 0.3 * (tmp_path / "float.npz").stat().st_size
    stored = load_head(tmp_path / "int8.npz", head.names)
    step = np.abs(head.w1).max(axis=-1, keepdims=True) / 127  # one int8 step of each row
    assert np.all(np.abs(stored.w1 - head.w1) <= 0.51 * step + 1e-6)
    inputs = rng.normal(0, 1, (20, 200)).astype(np.float32)
    assert np.abs(stored.probabilities(inputs) - head.probabilities(inputs)).max() < 0.01


def test_check_layers_that_cannot_be_fitted_fail_in_one_line_and_leave_the_model_as_it_was(
    tmp_path: Path, tiny_ptc: Path
) -> None:
    from propscope.detect.runtime import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    before = {path.name: path.read_bytes() for path in model.iterdir()}
    missing = run_cli("check-layers", str(model), "--out-of-fold", f"{tmp_path / 'nowhere'}={tmp_path}")
    assert missing.returncode != 0
    assert "nowhere: model folder not found" in missing.stderr and "Traceback" not in missing.stderr
    too_deep = run_cli(
        "check-layers", str(model), "--out-of-fold", f"{default_model_dir()}={tiny_ptc}", "--layers", "6"
    )
    assert too_deep.returncode != 0 and "Traceback" not in too_deep.stderr
    assert "is an encoder of 6 layers; give --layers from 1 to 5" in too_deep.stderr
    assert {path.name: path.read_bytes() for path in model.iterdir()} == before  # its triage too, nothing half-made
