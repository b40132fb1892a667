"""A training smoke run: seconds on a few articles, then the exported model loads and runs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pytest

from tests.conftest import TINY_TEXT, run_cli

pytest.importorskip("torch")

if TYPE_CHECKING:
    from propscope.train.loop import TrainConfig


def test_train_smoke_then_ship_then_analyze(ptc_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    trained = tmp_path / "trained"
    args = [
        "train",
        "--out",
        str(trained),
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--limit-articles",
        "2",
        "--seed",
        "7",
    ]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(json.loads(result.stdout)["dev"]) == {"si", "tc", "flc", "sentence"}
    for name in ("encoder.onnx", "tokenizer.json", "span_head.npz", "propscope-model.json", "train.log"):
        assert (trained / name).is_file(), name
    description = json.loads((trained / "propscope-model.json").read_text())
    assert description["training"]["base_sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    import torch

    environment = description["training"]["environment"]  # what the run's floats depend on, for the card
    assert environment["torch"] == torch.__version__ and environment["kernels"].endswith(
        torch.backends.cpu.get_cpu_capability()
    )

    # same seed, same data: the same weights
    again = tmp_path / "again"
    assert run_cli(*args[:2], str(again), *args[3:]).returncode == 0
    first, second = np.load(trained / "span_head.npz"), np.load(again / "span_head.npz")
    assert all(np.allclose(first[k], second[k], atol=1e-5) for k in ("w1", "b1", "w2", "b2"))

    student = tmp_path / "student"
    taught = run_cli(*args[:2], str(student), *args[3:], "--teacher", str(trained))
    assert taught.returncode == 0, taught.stderr[-2000:]
    assert (student / "teacher-targets-0.npz").is_file()
    assert json.loads((student / "propscope-model.json").read_text())["teachers"][0]["model_id"] == "trained"
    assert f"teacher {trained} read with ONNX Runtime on the CPU" in (student / "train.log").read_text()
    with caplog.at_level(logging.INFO, logger="propscope.train"):
        assert_torch_teacher_reads_as_onnx_does(trained, ptc_dir, student / "teacher-targets-0.npz", tmp_path)
    assert f"teacher {trained} read with torch on cpu" in caplog.text  # where a GPU pass really ran

    marked = tmp_path / "marked"
    marked_args = ["--span-input", "marked", "--init", str(trained), "--sentence-loss-weight", "1"]
    windows = ["--window-tokens", "126", "--train-stride", "100", "--inference-stride", "96"]
    result = run_cli(*args[:2], str(marked), *args[3:], *marked_args, *windows)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "weights from" in (marked / "train.log").read_text()
    description = json.loads((marked / "propscope-model.json").read_text())
    assert description["span_input"] == "marked" and description["training"]["sentence_loss_weight"] == 1.0
    assert (description["window_tokens"], description["stride"], description["training"]["train_stride"]) == (
        126,
        96,
        100,
    )
    refused = run_cli(*args[:2], str(tmp_path / "x"), *args[3:], "--train-stride", "300")
    assert refused.returncode != 0 and "at most --window-tokens (254)" in refused.stderr
    # refused before the teacher's pass and the data (minutes on a real corpus): the folder
    # given as teacher is no model, and its error would come first otherwise
    refused = run_cli(*args[:2], str(tmp_path / "x"), *args[3:], "--window-tokens", "600", "--teacher", str(tmp_path))
    assert refused.returncode == 1 and refused.stderr.strip().endswith(
        "this encoder reads windows of at most 510 word pieces; give --window-tokens 510 or fewer (got 600)"
    )
    from propscope.detect.marked_spans import MarkedSpanClassifier
    from propscope.detect.runtime import ModelRuntime

    assert isinstance(ModelRuntime.load(marked).classifier, MarkedSpanClassifier)
    refused = run_cli(*args[:2], str(tmp_path / "x"), *args[3:], "--init", str(tmp_path))
    assert refused.returncode != 0 and "has no checkpoint.pt" in refused.stderr

    shipped = tmp_path / "shipped"
    dev = tmp_path / "dev"
    (dev / "dev-articles").mkdir(parents=True)
    for path in sorted((ptc_dir / "dev" / "dev-articles").iterdir())[:2]:
        (dev / "dev-articles" / path.name).write_bytes(path.read_bytes())
    ids = {p.stem.removeprefix("article") for p in (dev / "dev-articles").iterdir()}
    rows = [r for r in (ptc_dir / "dev" / "dev-task-flc-tc.labels").read_text().splitlines() if r.split("\t")[0] in ids]
    (dev / "dev-task-flc-tc.labels").write_text("\n".join(rows) + "\n")
    notes = tmp_path / "notes.md"
    notes.write_text("- **Smoke models flag little.** Seen on two articles.\n")
    result = run_cli("ship", str(trained), "--out", str(shipped), "--dev-dir", str(dev), "--notes", str(notes))
    assert result.returncode == 0, result.stderr[-2000:]
    card = (shipped / "MODEL_CARD.md").read_text()
    assert "Seed 7, 1 epochs" in card and "| si |" in card
    assert f"- Trained with torch {torch.__version__}, transformers {environment['transformers']}, " in card
    assert "## Known failure modes\n\n- **Smoke models flag little.**" in card
    description = json.loads((shipped / "propscope-model.json").read_text())
    loaded = description["data"]["train"]["per_technique"]["Loaded_Language"]
    assert f"| Loaded_Language | {loaded} | " in card  # each F1 beside the examples behind it
    assert "| n/a | n/a |" in card  # two dev articles lack some technique: no F1 of 1.0 for "nothing to find"
    assert "--class-balance 0.5" in description["command"]
    assert description["command"].endswith(f"--notes {tmp_path.name}/notes.md")  # the command remakes the card
    analysis = json.loads(
        run_cli("analyze", "-", "--model", str(shipped), "--format", "json", stdin="Vile lies.").stdout
    )
    assert analysis[0]["model_id"] == "shipped"

    # after a change to decoding, rescore re-measures what ship recorded (here: nothing changed)
    result = run_cli("rescore", str(shipped), "--dev-dir", str(dev), "--notes", str(notes))
    assert result.returncode == 0, result.stderr[-2000:]
    rescored = json.loads((shipped / "propscope-model.json").read_text())
    assert rescored["rescored"] is True
    assert rescored["dev"] == description["dev"] and rescored["thresholds"] == description["thresholds"]
    assert rescored["command"] == description["command"] + f" && propscope rescore {tmp_path.name}/shipped --notes " + (
        f"{tmp_path.name}/notes.md"
    )
    card = (shipped / "MODEL_CARD.md").read_text()
    assert "re-measured (`propscope rescore`)" in card and "- **Smoke models flag little.**" in card
    refused = run_cli("rescore", str(trained))
    assert refused.returncode == 1 and "was not made by 'propscope ship'" in refused.stderr
    assert "model folder not found" in run_cli("rescore", str(tmp_path / "nowhere")).stderr


def assert_torch_teacher_reads_as_onnx_does(teacher: Path, ptc_dir: Path, onnx_targets: Path, tmp_path: Path) -> None:
    """A student training on a GPU reads its teacher with torch there: the targets must be the
    ones ONNX Runtime gives on the CPU (to float rounding)."""
    import torch

    from propscope.formats.annotated import span_corpus
    from propscope.train.loop import TorchTeacher
    from propscope.train.teacher import teacher_views

    corpus = span_corpus(ptc_dir / "train", "semeval2020", "train").first(2)
    gold = corpus.tc_spans()
    by_onnx = teacher_views(teacher, corpus.articles, gold, onnx_targets)
    by_torch = teacher_views(
        teacher,
        corpus.articles,
        gold,
        tmp_path / "torch-targets.npz",
        lambda f: TorchTeacher.load(f, torch.device("cpu")),
    )
    assert set(by_torch) == set(by_onnx) == set(corpus.articles)
    for article_id, view in by_onnx.items():
        np.testing.assert_array_equal(by_torch[article_id].offsets, view.offsets)
        np.testing.assert_array_equal(by_torch[article_id].ranges, view.ranges)
        np.testing.assert_allclose(by_torch[article_id].probabilities, view.probabilities, atol=1e-4)
        np.testing.assert_allclose(by_torch[article_id].span_probabilities, view.span_probabilities, atol=1e-4)


def test_teachers_are_read_with_onnx_runtime_on_a_cpu_and_where_they_have_no_torch_weights(tmp_path: Path) -> None:
    import torch

    from propscope.detect.runtime import default_model_dir
    from propscope.train.loop import teacher_reader

    assert teacher_reader(torch.device("cpu")) is None
    on_gpu = teacher_reader(torch.device("cuda"))  # naming the device needs no GPU
    assert on_gpu is not None and on_gpu(default_model_dir()) is None  # a shipped model: no checkpoint.pt


def test_a_stored_training_config_is_read_back_without_what_the_run_recorded_beside_it() -> None:
    from propscope.train.loop import TrainConfig

    stored = {"base": "minilm", "train_dir": "t", "dev_dir": "d", "seed": 29, "teacher": ["runs/mpnet"]}
    recorded = {"base_sha256": "53aa", "device": "cuda"}  # in the run's summary, not settings of TrainConfig
    config = TrainConfig.from_stored(stored | recorded, dev_dir="elsewhere")
    assert config == TrainConfig(base="minilm", train_dir="t", dev_dir="elsewhere", seed=29, teacher=("runs/mpnet",))


def smoke_config(ptc_dir: Path, **settings: Any) -> TrainConfig:
    """Seconds of training: two articles, batches of four."""
    from propscope.train.loop import TrainConfig

    return TrainConfig(
        base="minilm",
        train_dir=str(ptc_dir / "train"),
        dev_dir=str(ptc_dir / "dev"),
        batch_size=4,
        seed=5,
        limit_articles=2,
        **settings,
    )


def test_interrupted_training_resumes_to_the_same_weights(ptc_dir: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from propscope.train import loop

    config = smoke_config(ptc_dir, epochs=2)
    loop.train(config, tmp_path / "whole")

    saved = loop.save_state

    def save_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        saved(*args, **kwargs)
        raise KeyboardInterrupt  # as if killed right after epoch 1 was saved

    monkeypatch.setattr(loop, "save_state", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        loop.train(config, tmp_path / "cut")
    monkeypatch.setattr(loop, "save_state", saved)
    import torch

    written = torch.load(tmp_path / "cut" / "resume.pt", weights_only=False)
    del written["config"]["span_input"]  # as written before that setting existed
    torch.save(written, tmp_path / "cut" / "resume.pt")
    summary = loop.train(config, tmp_path / "cut", resume=True)
    assert [row["epoch"] for row in summary["history"]] == [1, 2]
    whole, cut = np.load(tmp_path / "whole" / "span_head.npz"), np.load(tmp_path / "cut" / "span_head.npz")
    assert all(np.array_equal(whole[k], cut[k]) for k in ("w1", "b1", "w2", "b2"))

    other = loop.TrainConfig(**{**config.__dict__, "learning_rate": 1e-5})
    with pytest.raises(ValueError, match="other settings \\(learning_rate\\)"):
        loop.train(other, tmp_path / "cut", resume=True)


def test_adversarial_step_moves_the_words_the_batch_used_by_epsilon_and_puts_them_back() -> None:
    import torch

    from propscope.train.loop import PropagandaTagger, embeddings_pushed_uphill

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.words = torch.nn.Embedding(5, 3)

        def get_input_embeddings(self) -> torch.nn.Embedding:
            return self.words

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder()

    tagger = Tagger()
    table = tagger.encoder.words.weight
    before = table.detach().clone()
    table.grad = torch.zeros_like(table)
    table.grad[1] = torch.tensor([3.0, 0.0, 0.0])
    table.grad[3] = torch.tensor([0.0, 4.0, 0.0])  # the batch used words 1 and 3; the gradient's norm is 5
    with embeddings_pushed_uphill(cast("PropagandaTagger", tagger), 0.5):
        moved = table.detach() - before
        assert torch.allclose(moved[1], torch.tensor([0.3, 0.0, 0.0])) and torch.allclose(
            moved[3], torch.tensor([0, 0.4, 0])
        )
        assert not moved[[0, 2, 4]].any()
    assert torch.equal(table.detach(), before)
    with pytest.raises(RuntimeError), embeddings_pushed_uphill(cast("PropagandaTagger", tagger), 0.5):
        raise RuntimeError  # a failed adversarial pass still leaves the words where they were
    assert torch.equal(table.detach(), before)
    table.grad = torch.zeros_like(table)
    with embeddings_pushed_uphill(cast("PropagandaTagger", tagger), 0.5):
        assert torch.equal(table.detach(), before)  # nothing to climb: nothing moves


def test_adversarial_training_learns_each_batch_again_on_moved_words(
    ptc_dir: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from propscope.train import loop

    seen: list[Any] = []
    measured = loop.window_batch_loss

    def remembering(model, *args):  # type: ignore[no-untyped-def]
        seen.append(model.encoder.get_input_embeddings().weight.detach().clone())
        return measured(model, *args)

    monkeypatch.setattr(loop, "window_batch_loss", remembering)
    summary = loop.train(smoke_config(ptc_dir, epochs=1, adversarial_epsilon=0.25), tmp_path / "run")
    assert summary["config"]["adversarial_epsilon"] == 0.25 and len(seen) % 2 == 0 and len(seen) >= 4
    for plain, adversarial in zip(seen[::2], seen[1::2], strict=True):
        assert float((adversarial - plain).norm()) == pytest.approx(0.25, rel=1e-3)
    for plain, adversarial, following in zip(seen[:-2:2], seen[1:-2:2], seen[2::2], strict=True):
        # the next step starts from the words put back (moved only by the optimiser's small step)
        assert float((following - plain).norm()) < float((following - adversarial).norm()) / 5


def test_patience_stops_a_run_once_dev_stops_improving_and_still_exports(
    ptc_dir: Path, tmp_path: Path, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    from propscope.train import loop

    history = [{"si": 0.30, "tc": 0.50}, {"si": 0.40, "tc": 0.50}, {"si": 0.35, "tc": 0.50}, {"si": 0.40, "tc": 0.50}]
    assert [loop.epochs_since_best(history[: n + 1]) for n in range(4)] == [0, 0, 1, 2]  # a tie is no better
    config = smoke_config(ptc_dir, epochs=3, patience=2)
    monkeypatch.setattr(loop, "epochs_since_best", lambda history: len(history))  # every epoch "worse"
    with caplog.at_level(logging.INFO, logger="propscope.train"):
        summary = loop.train(config, tmp_path / "run")
        assert [row["epoch"] for row in summary["history"]] == [1, 2]
        assert "stopping after epoch 2: no better dev score in the last 2 epoch(s)" in caplog.text
        resumed = loop.train(config, tmp_path / "run", resume=True)  # a stopped run stays stopped
    assert [row["epoch"] for row in resumed["history"]] == [1, 2]
    assert (tmp_path / "run" / "encoder.onnx").is_file()


def test_teacher_targets_follow_characters_and_average_over_teachers() -> None:
    from propscope.train.teacher import EnsembleView, TeacherView

    one = TeacherView(
        offsets=np.array([[0, 4], [5, 9]]),
        probabilities=np.array([[0.2, 0.1], [0.8, 0.6]], np.float32),
        ranges=np.array([[5, 9]]),
        span_probabilities=np.array([[0.25, 0.75]], np.float32),
    )
    two = TeacherView(
        offsets=np.array([[0, 2], [2, 4], [5, 9]]),  # another tokenizer: the first word in two pieces
        probabilities=np.array([[0.4, 0.3], [0.0, 0.0], [0.6, 0.4]], np.float32),
        ranges=np.array([[5, 9]]),
        span_probabilities=np.array([[0.75, 0.25]], np.float32),
    )
    student_offsets = np.array([[0, 4], [5, 7], [7, 9]])  # the second word in two pieces here
    assert np.allclose(one.token_targets(student_offsets), [[0.2, 0.1], [0.8, 0.6], [0.8, 0.6]])
    both = EnsembleView((one, two))
    assert np.allclose(both.token_targets(student_offsets), [[0.3, 0.2], [0.7, 0.5], [0.7, 0.5]])
    assert both.span_targets()[(5, 9)].tolist() == pytest.approx([0.5, 0.5])


def test_model_card_command_includes_the_run_it_started_from(tmp_path: Path) -> None:
    from propscope.train.quantize import train_command

    first = {
        "base": "minilm",
        "epochs": 6,
        "learning_rate": 8e-5,
        "batch_size": 16,
        "seed": 13,
        "class_balance": 0.5,
        "sentence_loss_weight": 1.0,
        "sentence_credit": "gold",
        "adversarial_epsilon": 1.0,
        "patience": 1,
    }
    (tmp_path / "runs" / "first").mkdir(parents=True)
    (tmp_path / "runs" / "first" / "propscope-model.json").write_text(json.dumps({"training": first}))
    second = first | {
        "epochs": 2,
        "learning_rate": 3e-5,
        "span_input": "marked",
        "init": str(tmp_path / "runs/first"),
        "patience": None,
        "sentence_loss_weight": 0.0,
        "sentence_credit": "strongest",
        "adversarial_epsilon": 0.0,
        "window_tokens": 510,
        "train_stride": 400,
        "inference_stride": 192,
        "device": "cuda",
    }
    assert train_command(tmp_path / "runs" / "second", second) == (
        "propscope train --out runs/first --base minilm --epochs 6 --learning-rate 8e-05 --batch-size 16 --seed 13"
        " --class-balance 0.5 --sentence-loss-weight 1.0 --sentence-credit gold --adversarial-epsilon 1.0 --patience 1"
        " && propscope train --out runs/second --base minilm --epochs 2 --learning-rate 3e-05 --batch-size 16"
        " --seed 13 --window-tokens 510 --train-stride 400 --class-balance 0.5 --span-input marked --device cuda"
        " --init runs/first"
    )


def test_tokens_know_their_sentence_as_sentence_f1_splits_them() -> None:
    from propscope.article import Article
    from propscope.detect.model import default_model_dir
    from propscope.detect.windows import load_tokenizer
    from propscope.train.data import article_examples

    tokenizer = load_tokenizer(str(default_model_dir() / "tokenizer.json"))  # as training loads it
    text = "Vile lies. Dr. Smith said so.\nThey lie!"
    (window,) = article_examples(tokenizer, Article("1", text), [], 254, 200, ("Doubt",))
    words = [tokenizer.id_to_token(int(i)) for i in window.ids]
    assert list(zip(words, window.sentences.tolist(), strict=True)) == [
        ("vile", 0), ("lies", 0), (".", 0),
        ("dr", 1), (".", 1), ("smith", 1), ("said", 1), ("so", 1), (".", 1),  # "Dr." does not end a sentence
        ("they", 2), ("lie", 2), ("!", 2),
    ]  # fmt: skip


def test_sentence_loss_counts_a_lone_false_alarm_as_a_wrong_sentence() -> None:
    import torch

    from propscope.train.data import WindowExample
    from propscope.train.loop import collate, sentence_loss

    def window(presence: list[float], sentences: list[int]) -> WindowExample:
        labels = np.zeros((len(presence), 2), dtype=np.float32)
        labels[:, 0] = presence
        return WindowExample(np.arange(len(presence)), labels, np.array(sentences), ())

    batch = [window([0, 0, 1, 0], [0, 0, 1, 1]), window([0, 0], [0, 0])]
    ids, _, labels, _, sentences = collate(batch, (101, 102, 0), 0.0)
    assert sentences.tolist() == [[-1, 0, 0, 1, 1, -1], [-1, 2, 2, -1, -1, -1]]  # [CLS], [SEP], padding: -1
    logits = torch.full((*ids.shape, 2), -20.0)
    assert float(sentence_loss(logits, labels, sentences)) == pytest.approx(20 / 3, rel=1e-3)  # sentence 1 missed
    logits[:, :, 0] = torch.tensor([[9, -9, -9, 9, -9, 9], [9, -9, -9, 9, 9, 9]], dtype=torch.float32)
    good = float(sentence_loss(logits, labels, sentences))  # specials and padding never count
    logits[0, 2, 0] = 9.0  # one confident token in the clean first sentence: that sentence is wrong
    strongest, target = torch.tensor([9.0, 9, -9]), torch.tensor([0.0, 1, 0])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(strongest, target)
    assert good < 1e-3 and float(sentence_loss(logits, labels, sentences)) == pytest.approx(float(expected))


def test_sentence_loss_with_gold_credit_never_lifts_a_word_beside_the_finding() -> None:
    import torch

    from propscope.train.loop import sentence_loss

    # one window: sentence 0 holds a finding on token 2 and a confident lone word on token 0;
    # sentence 1 is clean
    sentences = torch.tensor([[0, 0, 0, 1, 1]])
    labels = torch.zeros(1, 5, 2)
    labels[0, 2, 0] = 1.0
    logits = torch.full((1, 5, 2), -9.0)
    logits[0, 0, 0], logits[0, 2, 0] = 9.0, -3.0
    strongest = float(sentence_loss(logits, labels, sentences))
    gold = float(sentence_loss(logits, labels, sentences, "gold"))
    judged_by = torch.tensor  # the logits each sentence is judged by, against targets [1, 0]
    loss = torch.nn.functional.binary_cross_entropy_with_logits
    assert strongest == pytest.approx(float(loss(judged_by([9.0, -9.0]), judged_by([1.0, 0.0]))))
    assert gold == pytest.approx(float(loss(judged_by([-3.0, -9.0]), judged_by([1.0, 0.0]))))
    lifted = logits.clone().requires_grad_()
    sentence_loss(lifted, labels, sentences, "gold").backward()
    assert lifted.grad is not None
    # the finding is lifted, not the word beside it
    assert float(lifted.grad[0, 0, 0]) == 0.0 and float(lifted.grad[0, 2, 0]) < 0.0
    logits[0, 4, 0] = 9.0  # a confident word in the clean sentence is wrong under either credit
    assert float(sentence_loss(logits, labels, sentences, "gold")) > gold + 4


def test_sentence_loss_without_credit_lifts_no_token_and_still_judges_clean_sentences() -> None:
    import torch

    from propscope.train.loop import sentence_loss

    # sentence 0 holds a missed finding on token 2; sentence 1 is clean, with one confident word
    sentences = torch.tensor([[0, 0, 0, 1, 1]])
    labels = torch.zeros(1, 5, 2)
    labels[0, 2, 0] = 1.0
    logits = torch.full((1, 5, 2), -9.0)
    logits[0, 2, 0], logits[0, 4, 0] = -3.0, 9.0
    lifted = logits.clone().requires_grad_()
    loss = sentence_loss(lifted, labels, sentences, "none")
    loss.backward()
    assert lifted.grad is not None
    # the clean sentence alone, averaged over both sentences as the other credits average it
    clean = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(9.0), torch.tensor(0.0))
    assert float(loss.detach()) == pytest.approx(float(clean) / 2)
    assert float(lifted.grad[0, 2, 0]) == 0.0  # the missed finding is left to the token loss
    assert float(lifted.grad[0, 4, 0]) > 0.0  # the clean sentence's confident word is pushed down


def loss_on_a_finding_beside_a_confident_word(credit: str) -> tuple[float, list[float]]:
    """The sentence loss, and its gradient on each token's presence logit, for two sentences:
    sentence 0 a confident word (9.0) beside a two-token finding, one token of it strong (3.0) and
    one weak (-1.0); sentence 1 clean, every logit -9.0."""
    import torch

    from propscope.train.loop import sentence_loss

    sentences = torch.tensor([[0, 0, 0, 1, 1]])
    labels = torch.zeros(1, 5, 2)
    labels[0, 1:3, 0] = 1.0
    logits = torch.full((1, 5, 2), -9.0)
    logits[0, 0, 0], logits[0, 1, 0], logits[0, 2, 0] = 9.0, 3.0, -1.0
    lifted = logits.clone().requires_grad_()
    loss = sentence_loss(lifted, labels, sentences, credit)
    loss.backward()
    assert lifted.grad is not None
    return float(loss.detach()), [float(gradient) for gradient in lifted.grad[0, :, 0]]


def loss_judging_the_finding_by(logit: float) -> float:
    """The sentence loss of `loss_on_a_finding_beside_a_confident_word` when its finding's sentence
    is judged by `logit` (the clean sentence by its -9.0)."""
    import torch

    judged, target = torch.tensor([logit, -9.0]), torch.tensor([1.0, 0.0])
    return float(torch.nn.functional.binary_cross_entropy_with_logits(judged, target))


def test_sentence_loss_with_gold_mean_credit_lifts_the_whole_passage_evenly() -> None:
    loss, gradient = loss_on_a_finding_beside_a_confident_word("gold-mean")
    assert loss == pytest.approx(loss_judging_the_finding_by(1.0))  # the finding's mean logit
    # both of the finding's tokens are lifted alike, however strong each already is; not the word beside
    assert gradient[1] == gradient[2] < 0.0
    assert gradient[0] == 0.0


def test_sentence_loss_with_gold_soft_credit_shares_the_lift_by_the_tokens_strength() -> None:
    import math

    from propscope.train.loop import SOFT_CREDIT_TEMPERATURE as temperature

    loss, gradient = loss_on_a_finding_beside_a_confident_word("gold-soft")
    soft = temperature * math.log((math.exp(3.0 / temperature) + math.exp(-1.0 / temperature)) / 2)
    assert 1.0 < soft < 3.0  # between the finding's mean and its strongest token
    assert loss == pytest.approx(loss_judging_the_finding_by(soft))
    # the strong token gets the larger lift, the weak one e^(-4 / temperature) of it; not the word beside
    assert gradient[1] < gradient[2] < 0.0
    assert gradient[2] / gradient[1] == pytest.approx(math.exp(-4.0 / temperature))
    assert gradient[0] == 0.0


def test_marked_spans_are_dealt_to_every_step_once() -> None:
    import random

    from propscope.train.loop import dealt

    parts = dealt(list(range(6128)), 145, random.Random(1))
    assert len(parts) == 145 and sorted(x for part in parts for x in part) == list(range(6128))
    assert {len(part) for part in parts} == {42, 43}
    assert dealt([1, 2], 3, random.Random(1))[2] == []  # fewer spans than steps: some steps have none


def test_marked_head_is_fitted_on_the_encoder_that_ships(tiny_ptc: Path, tmp_path: Path) -> None:
    import shutil

    from propscope.article import Span
    from propscope.detect.features import N_FEATURES
    from propscope.detect.marked_spans import MarkedSpanClassifier
    from propscope.detect.predict import label_given_spans
    from propscope.detect.runtime import ModelRuntime, default_model_dir
    from propscope.train.marked_head import MarkedHeadSettings, fit_marked_head

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    recorded = fit_marked_head(folder, tiny_ptc, MarkedHeadSettings(epochs=40, learning_rate=1e-2))
    assert recorded["spans"] == 3 and recorded["epochs"] == 40 and recorded["article_vectors"] is True
    assert json.loads((folder / "propscope-model.json").read_text())["span_input"] == "marked"
    runtime = ModelRuntime.load(folder)
    assert isinstance(runtime.classifier, MarkedSpanClassifier) and runtime.classifier.article_vectors
    # ten heads (seeds 13 to 22), each reading [marked span, marked input, article mean, article max] vectors
    # and the features into 384 units; their probabilities are averaged. Stored in int8 rows with a scale each,
    # computed in float32
    assert runtime.head.w1.shape == (10, runtime.hidden_size, 4 * runtime.hidden_size + N_FEATURES)
    assert runtime.head.w1.dtype == np.float32 and np.load(folder / "span_head.npz")["w1"].dtype == np.int8
    assert recorded["members"] == 10 and recorded["seed"] == 13
    gold = [Span(21, 28, "Loaded_Language"), Span(21, 35, "Name_Calling,Labeling"), Span(48, 64, "Flag-Waving")]
    assert label_given_spans(TINY_TEXT, runtime.encode_many([TINY_TEXT])[0], runtime.classifier, gold) == gold


def test_refit_brings_a_shipped_marked_model_up_to_date_and_records_it(tiny_ptc: Path, tmp_path: Path) -> None:
    import shutil

    from propscope.detect.features import N_FEATURES
    from propscope.detect.linear_map import LinearMap
    from propscope.detect.runtime import ModelRuntime, default_model_dir
    from propscope.detect.triage import TRIAGE_FILE
    from propscope.evaluation import evaluate_model
    from propscope.train.marked_head import MarkedHeadSettings, fit_marked_head

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    # the shipped model as it was before its head read the article pass: one head on the marked reading
    fit_marked_head(folder, tiny_ptc, MarkedHeadSettings(epochs=2, members=1), article_vectors=False)
    assert ModelRuntime.load(folder).head.w1.shape == (384, 2 * 384 + N_FEATURES)
    before = json.loads((folder / "propscope-model.json").read_text())
    # a span threshold nothing reaches: refit retunes it, and must measure the folder with the new one
    stale = before | {"thresholds": before["thresholds"] | {"span": 1.01}, "triage": {"margin": 0.0}}
    (folder / "propscope-model.json").write_text(json.dumps(stale))
    # and a triage fitted for the model before: it would estimate verdicts of the check as it was
    width = 2 * 384 + N_FEATURES + 1
    LinearMap(
        np.zeros(width, np.float32),
        np.ones(width, np.float32),
        np.zeros((1, width), np.float32),
        np.zeros(1, np.float32),
    ).save(folder / TRIAGE_FILE)
    notes = tmp_path / "notes.md"
    notes.write_text("- **Refitted in a test.** Seen once.\n")
    result = run_cli(
        "refit", str(folder), "--train-dir", str(tiny_ptc), "--dev-dir", str(tiny_ptc), "--notes", str(notes)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    after = json.loads((folder / "propscope-model.json").read_text())
    assert after["marked_head"]["article_vectors"] is True and after["marked_head"]["spans"] == 3
    assert ModelRuntime.load(folder).head.w1.shape == (10, 384, 4 * 384 + N_FEATURES)
    assert after["dev"]["si"]["gold"] == 2  # re-measured on the dev folder given: the tiny article's passages
    assert after["thresholds"]["span"] <= 1 and after["dev"]["si"]["predicted"] > 0
    fresh = evaluate_model(ModelRuntime.load(folder), tiny_ptc, split="dev").to_dict()
    assert after["dev"] == fresh  # the figures recorded are those of the folder as written
    assert json.loads(result.stdout)["dev"]["tc"] == after["dev"]["tc"]["f1"]
    assert after["passage_check"] == before["passage_check"]  # the check and the encoder stay as shipped
    assert "triage" not in after and not (folder / TRIAGE_FILE).exists()
    assert (folder / "encoder.onnx").read_bytes() == (default_model_dir() / "encoder.onnx").read_bytes()
    assert after["command"] == before["command"] + f" && propscope refit {tmp_path.name}/model --notes " + (
        f"{tmp_path.name}/notes.md"
    )
    card = (folder / "MODEL_CARD.md").read_text()
    assert "together with each span's mean and max vectors from its article's own encoding" in card
    assert "10 heads with seeds 13 to 22, their probabilities averaged" in card
    assert "- **Refitted in a test.**" in card
    assert ModelRuntime.load(folder).classifier.article_vectors  # type: ignore[attr-defined]

    pooled = run_cli("refit", str(default_model_dir("semeval2023")), "--train-dir", str(tiny_ptc))
    assert pooled.returncode == 1 and "only a model shipped with --span-input marked" in pooled.stderr
    assert "model folder not found" in run_cli("refit", str(tmp_path / "nowhere")).stderr


def refit_with_tagger_apart(folder: Path, tiny_ptc: Path, option: str, tagger: Path) -> dict[str, Any]:
    """`propscope refit` of `folder` on the tiny folder, `option` naming `tagger` with it; the
    description the refit wrote."""
    result = run_cli(
        "refit", str(folder), "--train-dir", str(tiny_ptc), "--dev-dir", str(tiny_ptc), option, f"{tagger}={tiny_ptc}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads((folder / "propscope-model.json").read_text()))


def test_refit_with_taggers_trained_apart_averages_the_check_with_one_on_their_candidates(
    tiny_ptc: Path, tmp_path: Path
) -> None:
    import shutil

    from propscope.detect.features import N_FEATURES
    from propscope.detect.runtime import PASSAGE_CHECK_FILE, ModelRuntime, default_model_dir, load_head
    from propscope.train.marked_head import PASSAGE_CHECK_OUTPUTS, fit_passage_check

    folder, own_only = tmp_path / "model", tmp_path / "own-only"
    shutil.copytree(default_model_dir(), folder)
    shutil.copytree(default_model_dir(), own_only)
    tagger = default_model_dir("semeval2023")  # a tagger that never trained on the tiny article
    before = json.loads((folder / "propscope-model.json").read_text()) | {"rescored": True}
    (folder / "propscope-model.json").write_text(json.dumps(before))  # as if rescored since it shipped
    after = refit_with_tagger_apart(folder, tiny_ptc, "--check-out-of-fold", tagger)
    assert after["passage_check"]["out_of_fold"] == [
        {"tagger": "propscope-minilm-semeval2023", "articles": 1, "passages": 3, "overlapping_gold": 2}
    ]
    assert after["passage_check"]["out_of_fold_head"]["epochs"] == 8
    assert after["command"] == before["command"] + (
        f" && propscope refit {tmp_path.name}/model --check-out-of-fold "
        f"src/propscope/models/propscope-minilm-semeval2023={tmp_path.name}/tiny"
    )
    check = ModelRuntime.load(folder).classifier.check  # type: ignore[attr-defined]
    assert check.head.w1.shape == (2, 384, 2 * 384 + N_FEATURES)  # two heads, their verdicts averaged
    # the first is the check fitted on the model's own candidates alone, as shipping fits it
    fit_passage_check(own_only, tiny_ptc)
    alone = load_head(own_only / PASSAGE_CHECK_FILE, PASSAGE_CHECK_OUTPUTS)
    assert (check.head.w1[0] == alone.w1).all() and (check.head.w2[0] == alone.w2).all()
    assert not np.allclose(check.head.w2[1], alone.w2)
    card = (folder / "MODEL_CARD.md").read_text()
    assert "its verdict is the average of that head and one fitted on the candidates that taggers" in card
    assert "(propscope-minilm-semeval2023: 3 in 1 articles; 8 epochs)" in card
    assert "rescored" not in after and "re-measured (`propscope rescore`)" not in card  # retuned since

    bad = run_cli("refit", str(folder), "--check-out-of-fold", str(tagger))
    assert bad.returncode == 2 and "is not TAGGER=FOLDER" in bad.stderr
    missing = run_cli("refit", str(folder), "--check-out-of-fold", f"{tmp_path / 'nowhere'}={tiny_ptc}")
    assert missing.returncode == 1 and "model folder not found" in missing.stderr
    assert json.loads((folder / "propscope-model.json").read_text()) == after  # refused before anything was refitted


def test_refit_with_a_naming_head_names_found_passages_with_it_and_given_spans_with_the_span_head(
    tiny_ptc: Path, tmp_path: Path
) -> None:
    import shutil

    from propscope.detect.features import N_FEATURES
    from propscope.detect.marked_spans import head_inputs, with_article_vectors
    from propscope.detect.runtime import NAMING_HEAD_FILE, ModelRuntime, default_model_dir

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    (folder / NAMING_HEAD_FILE).unlink(missing_ok=True)  # the model as it was before it had one
    before = json.loads((folder / "propscope-model.json").read_text())
    before.pop("naming_head", None)
    (folder / "propscope-model.json").write_text(json.dumps(before))
    tagger = default_model_dir("semeval2023")  # a tagger that never trained on the tiny article
    after = refit_with_tagger_apart(folder, tiny_ptc, "--name-out-of-fold", tagger)
    naming = after["naming_head"]
    assert naming["spans"] == 3 and naming["found"][0]["tagger"] == "propscope-minilm-semeval2023"
    assert naming["found"][0]["articles"] == 1 and naming["found"][0]["passages"] >= 1
    assert (naming["weight"], naming["head"]["members"], naming["head"]["hidden_units"]) == (0.75, 5, 128)
    assert (naming["extend"], naming["max_gap"]) == (before["thresholds"]["extend"], before["thresholds"]["max_gap"])
    assert after["passage_check"] == before["passage_check"]  # no --check-out-of-fold: the check stays
    assert after["command"].endswith(
        f" && propscope refit {tmp_path.name}/model --name-out-of-fold "
        f"src/propscope/models/propscope-minilm-semeval2023={tmp_path.name}/tiny"
    )
    card = (folder / "MODEL_CARD.md").read_text()
    assert "- Naming found passages: a passage decoding finds is named by the mean of the span head's" in card
    assert "probabilities (weight 0.25) and those of a head of its own (weight 0.75)" in card
    assert "5 heads of 128 units with seeds 13 to 17" in card

    runtime = ModelRuntime.load(folder)
    assert runtime.naming is not None and runtime.naming.head.w1.shape == (5, 128, 4 * 384 + N_FEATURES)
    classifier = runtime.classifier
    encoded = runtime.encode_many([TINY_TEXT])[0]
    ranges = [(21, 35), (58, 64)]  # "corrupt elites", "nation"
    readings = runtime.reader.readings(TINY_TEXT, ranges)
    inputs = with_article_vectors(head_inputs(readings, TINY_TEXT, ranges), encoded, ranges)
    span_head, own = runtime.head.probabilities(inputs), runtime.naming.head.probabilities(inputs)
    named = classifier.read(TINY_TEXT, encoded, [(start, end, 0.9) for start, end in ranges]).techniques
    np.testing.assert_allclose(named, 0.25 * span_head + 0.75 * own, rtol=1e-5, atol=1e-6)  # found passages
    np.testing.assert_allclose(classifier.probabilities(TINY_TEXT, encoded, ranges), span_head, rtol=1e-5, atol=1e-6)
    assert not np.allclose(named, span_head, atol=1e-3)  # given spans (TC) are named by the span head alone

    bad = run_cli("refit", str(folder), "--name-out-of-fold", str(tagger))
    assert bad.returncode == 2 and "--name-out-of-fold" in bad.stderr and "is not TAGGER=FOLDER" in bad.stderr
    missing = run_cli("refit", str(folder), "--name-out-of-fold", f"{tagger}={tmp_path / 'no-fold'}")
    assert missing.returncode == 1 and "fold folder not found" in missing.stderr and "no-fold" in missing.stderr
    assert json.loads((folder / "propscope-model.json").read_text()) == after  # refused before anything was refitted


def test_passage_check_is_fitted_on_the_taggers_candidates_and_loaded_with_the_model(
    tiny_ptc: Path, tmp_path: Path
) -> None:
    import shutil

    from propscope.detect.runtime import PASSAGE_CHECK_FILE, ModelRuntime, default_model_dir
    from propscope.errors import InputError
    from propscope.train.marked_head import MarkedHeadSettings, PassageCheckSettings, fit_passage_check

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    (folder / PASSAGE_CHECK_FILE).unlink(missing_ok=True)  # the shipped model without its check
    description = json.loads((folder / "propscope-model.json").read_text())
    description.pop("passage_check", None)
    (folder / "propscope-model.json").write_text(json.dumps(description))
    assert ModelRuntime.load(folder).classifier.check_weight == 0
    recorded = fit_passage_check(folder, tiny_ptc, PassageCheckSettings(weight=0.25, head=MarkedHeadSettings(epochs=2)))
    assert recorded["passages"] >= 1 and 0 <= recorded["overlapping_gold"] <= recorded["passages"]
    assert json.loads((folder / "propscope-model.json").read_text())["passage_check"]["weight"] == 0.25
    assert ModelRuntime.load(folder).classifier.check_weight == 0.25

    (folder / PASSAGE_CHECK_FILE).unlink()
    with pytest.raises(InputError, match="corrupt"):
        ModelRuntime.load(folder)


def test_a_passage_check_fitted_on_the_article_vectors_reads_them_when_the_model_runs(
    tiny_ptc: Path, tmp_path: Path
) -> None:
    import shutil

    from propscope.detect.features import N_FEATURES
    from propscope.detect.predict import candidate_passages
    from propscope.detect.runtime import ModelRuntime, default_model_dir
    from propscope.train.card import write_model_card
    from propscope.train.marked_head import MarkedHeadSettings, PassageCheckSettings, fit_passage_check
    from tests.conftest import TINY_TEXT

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    settings = PassageCheckSettings(article_vectors=True, head=MarkedHeadSettings(epochs=2, members=2))
    assert fit_passage_check(folder, tiny_ptc, settings)["article_vectors"] is True
    runtime = ModelRuntime.load(folder)
    check = runtime.classifier.check  # type: ignore[attr-defined]
    # the marked reading (2 x 384), the article's mean and max vectors (2 x 384), the features
    assert check.article_vectors and check.head.w1.shape == (2, 384, 4 * 384 + N_FEATURES)
    encoded = runtime.encode_many([TINY_TEXT])[0]
    passages = candidate_passages(TINY_TEXT, encoded, 0.0, 1)
    scores = runtime.classifier.read(TINY_TEXT, encoded, passages).raw
    assert len(scores) == len(passages) >= 1 and ((scores >= 0) & (scores <= 1)).all()
    write_model_card(folder, json.loads((folder / "propscope-model.json").read_text()))
    assert (
        "the check also reading the passage's vectors from its article's encoding"
        in (folder / "MODEL_CARD.md").read_text()
    )


def test_unknown_span_input_or_sentence_credit_is_refused_with_the_choices(tmp_path: Path) -> None:
    from propscope.detect.runtime import default_model_dir

    trained = run_cli("train", "--out", str(tmp_path / "x"), "--span-input", "boxed")
    assert trained.returncode != 0 and "expected one of: pooled, marked" in trained.stderr
    assert not (tmp_path / "x").exists()  # refused before the run folder is made
    credited = run_cli("train", "--out", str(tmp_path / "x"), "--sentence-credit", "weakest")
    assert credited.returncode != 0 and "expected one of: strongest, gold" in credited.stderr
    assert not (tmp_path / "x").exists()
    shipped = run_cli("ship", str(default_model_dir()), "--out", str(tmp_path / "y"), "--span-input", "boxed")
    assert shipped.returncode != 0 and "expected marked (or leave it out)" in shipped.stderr
    assert not (tmp_path / "y").exists()


def test_a_device_torch_does_not_have_is_refused_before_any_data_is_read(tmp_path: Path) -> None:
    import torch

    unknown = run_cli("train", "--out", str(tmp_path / "x"), "--device", "gpu")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: gpu: not a device torch knows; give cpu, cuda, cuda:N or auto"
    assert not (tmp_path / "x").exists()
    if not torch.cuda.is_available():
        absent = run_cli("train", "--out", str(tmp_path / "x"), "--device", "cuda")
        assert absent.returncode == 1
        assert absent.stderr.strip() == "error: cuda: torch sees no CUDA GPU here; train with --device cpu (or auto)"
        assert not (tmp_path / "x").exists()


def test_training_on_a_gpu_reads_its_teacher_there_and_exports_a_cpu_model(ptc_dir: Path, tmp_path: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    args = ["train", "--epochs", "1", "--batch-size", "4", "--limit-articles", "2", "--device", "cuda"]
    assert run_cli(*args, "--out", str(tmp_path / "teacher")).returncode == 0
    taught = run_cli(*args, "--out", str(tmp_path / "student"), "--teacher", str(tmp_path / "teacher"))
    assert taught.returncode == 0, taught.stderr[-2000:]
    assert json.loads((tmp_path / "student" / "propscope-model.json").read_text())["training"]["device"] == "cuda"
    analysed = run_cli("analyze", "-", "--model", str(tmp_path / "student"), "--format", "json", stdin=TINY_TEXT)
    assert analysed.returncode == 0, analysed.stderr[-2000:]


def test_a_check_can_learn_from_candidates_another_tagger_proposes(tiny_ptc: Path) -> None:
    """Out-of-fold candidates: a tagger that never saw the articles proposes the passages, and
    the model's own encoder still reads them, so the check learns the vectors it will see."""
    from propscope.detect.marked_spans import marked_head_inputs
    from propscope.detect.predict import candidate_passages, ranges_of
    from propscope.detect.runtime import ModelRuntime, default_model_dir
    from propscope.formats.ptc import read_ptc_folder
    from propscope.train.marked_head import CandidateReadings, read_candidates
    from tests.conftest import TINY_TEXT

    model, proposer = ModelRuntime.load(spin=False), ModelRuntime.load(default_model_dir("semeval2023"), spin=False)
    corpus = read_ptc_folder(tiny_ptc)
    own = read_candidates(model, corpus, 0.3, 1)
    other = read_candidates(model, corpus, 0.3, 1, proposer=proposer)
    proposed = candidate_passages(TINY_TEXT, proposer.encode_many([TINY_TEXT])[0], 0.3, 1)
    assert other.passages == proposed and len(proposed) == 3  # "A Shameful" is the model's, "Shameful" the other's
    assert ranges_of(proposed) != ranges_of(own.passages)
    assert (other.inputs == marked_head_inputs(model.reader, TINY_TEXT, ranges_of(proposed))).all()
    assert other.overlaps.tolist() == [False, True, True]  # the title overlaps no gold; the two lines do
    joined = CandidateReadings.joined([own, other])
    assert joined.passages == own.passages + other.passages
    assert joined.inputs.shape == (len(joined.passages), own.inputs.shape[1])
    assert joined.overlaps.tolist() == own.overlaps.tolist() + other.overlaps.tolist()


def test_card_shows_how_each_techniques_dev_flags_met_the_gold(tmp_path: Path) -> None:
    from propscope.detect.runtime import default_model_dir
    from propscope.train.card import write_model_card

    description = json.loads((default_model_dir() / "propscope-model.json").read_text())
    description["dev"]["flags"] = {"Doubt": {"flags": 73, "overlapping_gold": 19, "mean_score": 0.43, "share": 0.26}}
    write_model_card(tmp_path, description)  # the card needs only the description, not the model's files
    rows = {line.split(" | ")[0]: line for line in (tmp_path / "MODEL_CARD.md").read_text().splitlines()}
    assert rows["| Doubt"].endswith(" | 19 / 73 (0.43) |")
    assert rows["| Slogans"].endswith(" | 0 |")  # no flag of it on dev
    del description["dev"]["flags"]  # a description measured before flags were recorded
    write_model_card(tmp_path, description)
    assert "dev flags" not in (tmp_path / "MODEL_CARD.md").read_text()
