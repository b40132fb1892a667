"""A loaded propscope model folder: the machinery behind `Detector`, run with ONNX Runtime.

It holds the ONNX sessions, the tokenizer, the span classifier, the tuned thresholds and the score
calibration, and turns texts into encoder outputs and outputs into spans and analyses.
Training, shipping and evaluation use it directly (they need the raw outputs); users go
through `Detector`, which adds their options and checks their input.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from tokenizers import Tokenizer

from propscope import techniques
from propscope.article import Analysis, Article, SentenceFlag, Span, covered_share
from propscope.detect.article_heads import ArticleHeads, article_features
from propscope.detect.blas import one_blas_thread
from propscope.detect.calibration import Calibration
from propscope.detect.check_layers import CHECK_INPUT, CHECK_LAYERS_FILE, CheckLayers
from propscope.detect.edges import EDGES_FILE, EdgeModel
from propscope.detect.encoding import EncoderRun, encode_texts
from propscope.detect.marked_spans import (
    PASSAGE_CHECK_OUTPUTS,
    MarkedReader,
    NamingHead,
    PassageCheck,
    span_classifier,
)
from propscope.detect.predict import Encoded, SpanClassifier, SpanHead, Thresholds, find_spans
from propscope.detect.triage import TRIAGE_FILE, Triage
from propscope.detect.windows import load_tokenizer, special_ids
from propscope.errors import InputError
from propscope.sentences import split_sentences

MODEL_FILE = "propscope-model.json"
ENCODER_FILE = "encoder.onnx"
REQUIRED_FILES = (ENCODER_FILE, "tokenizer.json", "span_head.npz", MODEL_FILE)
#: the passage check's weights, in a marked model folder whose description has "passage_check"
PASSAGE_CHECK_FILE = "passage_check.npz"
NAMING_HEAD_FILE = "naming_head.npz"


SHIPPED_MODELS = {"semeval2020": "propscope-minilm", "semeval2023": "propscope-minilm-semeval2023"}


def default_model_dir(scheme: str = techniques.DEFAULT_SCHEME) -> Path:
    """The model shipped inside the package for a scheme, so that a plain pip install can
    analyse offline."""
    techniques.scheme(scheme)  # a ValueError listing the schemes for an unknown one
    return Path(__file__).resolve().parents[1] / "models" / SHIPPED_MODELS[scheme]


@dataclass(frozen=True)
class ModelRuntime:
    """Everything loaded from one model folder; immutable, so threads may share it."""

    path: Path
    description: dict[str, Any]
    #: runs an article's windows, on all the threads it was loaded with
    session: ort.InferenceSession
    tokenizer: Tokenizer
    head: SpanHead
    thresholds: Thresholds
    calibration: Calibration
    article_heads: ArticleHeads | None = None
    check: PassageCheck | None = None
    #: names the passages decoding finds, when the model has such a head (`MarkedSpanClassifier`)
    naming: NamingHead | None = None
    #: rules out candidate passages not worth reading (`detect.triage`), when the model has one
    triage: Triage | None = None
    #: moves the edges of the passages a marked model reads (`detect.edges`), when it has one
    edges: EdgeModel | None = None
    #: runs a marked model's passages on one thread per call, `workers` calls at once
    #: (`MarkedReader`); None: they run one after the other on `session`
    passage_session: ort.InferenceSession | None = None
    workers: int = 1
    #: the passage check's own encoder layers (`detect.check_layers`), when the model has them
    check_layers: CheckLayers | None = None

    def one_core(self) -> ModelRuntime:
        """This model run on one core per call, for analysing several articles side by side:
        windows on the one-thread session, each article's passages read one after another.
        Itself when it has no one-thread session (one thread, or a pooled model)."""
        if self.passage_session is None:
            return self
        return replace(self, session=self.passage_session, workers=1)

    @property
    def model_id(self) -> str:
        return str(self.description["model_id"])

    @property
    def reader(self) -> MarkedReader:
        """Reads passages marked in their context with the sessions in use, so a runtime given
        other sessions reads with those."""
        layers = self.check_layers
        if self.passage_session is None:
            return MarkedReader(self.tokenizer, onnx_run(self.session, layers is not None), layers=layers)
        return MarkedReader(self.tokenizer, onnx_run(self.passage_session, layers is not None), self.workers, layers)

    @property
    def classifier(self) -> SpanClassifier:
        """How this model classifies a span, reading with `reader`."""
        return span_classifier(
            self.description.get("span_input", "pooled"),
            self.head,
            self.reader,
            self.check,
            article_vectors=self.article_vectors,
            naming=self.naming,
            edges=self.edges,
        )

    @property
    def article_vectors(self) -> bool:
        """Whether the marked span head (and a naming head, on the same inputs) also reads each
        span's vectors from the article pass."""
        return bool((self.description.get("marked_head") or {}).get("article_vectors", False))

    @property
    def hidden_size(self) -> int:
        """Width of the encoder's hidden vectors, as its ONNX graph declares it."""
        return int(self.session.get_outputs()[1].shape[-1])

    @property
    def scheme(self) -> str:
        return str(self.description.get("scheme", techniques.DEFAULT_SCHEME))

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        scheme: str | None = None,
        threads: int | None = None,
        spin: bool = True,
    ) -> ModelRuntime:
        """Load a model folder (default: the shipped model of `scheme`, or of the PTC scheme);
        errors name the folder and the fix.

        `spin=False` stops ONNX Runtime's worker threads from busy-waiting between calls, which
        matters when the same process also runs torch or other thread pools."""
        folder = Path(path) if path is not None else default_model_dir(scheme or techniques.DEFAULT_SCHEME)
        if not folder.is_dir():
            raise InputError(
                "model folder not found; give a folder made by 'propscope train' with --model", path=folder
            )
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise InputError(f"is not a propscope model folder: missing {', '.join(missing)}", path=folder)
        try:
            description = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            names = techniques.scheme(description.get("scheme", techniques.DEFAULT_SCHEME)).names
            head = load_head(folder / "span_head.npz", names)
            threads = threads or os.cpu_count() or 1
            session = onnx_session(folder / ENCODER_FILE, threads, spin)
            reads_side_by_side = description.get("span_input") == "marked" and threads > 1
            return cls(
                path=folder,
                description=description,
                session=session,
                tokenizer=load_tokenizer(str(folder / "tokenizer.json")),
                head=head,
                thresholds=Thresholds(**description["thresholds"]),
                calibration=Calibration.from_dict(description.get("calibration")),
                article_heads=ArticleHeads.load(folder),
                check=load_check(folder, description),
                naming=load_naming(folder, description, names),
                triage=load_triage(folder, description),
                edges=load_edges(folder, description),
                passage_session=onnx_session(folder / ENCODER_FILE, 1, spin) if reads_side_by_side else None,
                workers=threads,
                check_layers=load_check_layers(folder, description, 1 if reads_side_by_side else threads, spin),
            )
        except InputError:
            raise
        except Exception as error:  # any parse or load failure means the folder is damaged
            raise InputError(
                f"model folder is corrupt ({type(error).__name__}: {error}); re-export or re-install it", path=folder
            ) from None

    def encode_many(self, texts: Sequence[str]) -> list[Encoded]:
        """Token probabilities and hidden states for several texts."""
        return encode_texts(
            texts,
            self.tokenizer,
            onnx_run(self.session),
            window_tokens=int(self.description["window_tokens"]),
            stride=int(self.description["stride"]),
            specials=special_ids(self.tokenizer),
            channels=1 + len(self.head.names),
        )

    def spans(self, text: str, encoded: Encoded, thresholds: Thresholds | None = None) -> list[Span]:
        """The spans found in one encoded text (numpy's BLAS held to one thread meanwhile: `detect.blas`)."""
        with one_blas_thread():
            return find_spans(
                text, encoded, self.classifier, thresholds or self.thresholds, self.calibration, self.triage
            )

    def analysis(self, article: Article, spans: list[Span], encoded: Encoded) -> Analysis:
        """Sentence flags and the article score from spans and token probabilities.

        A sentence's score is the calibrated probability that it contains a technique, from the
        highest "inside a technique" probability of its tokens; it is flagged when a reported
        span overlaps it. The article score is the mean sentence score: the expected share of
        its sentences that contain a technique.
        """
        bounds = split_sentences(article.text)
        offsets = encoded.tokens.offsets
        presence = encoded.probabilities[:, 0] if len(encoded.tokens) else np.zeros(0, np.float32)
        found = techniques_by_sentence(bounds, spans)
        sentences = []
        for (start, end), names in zip(bounds, found, strict=True):
            first, last = np.searchsorted(offsets[:, 1], start, side="right"), np.searchsorted(offsets[:, 0], end)
            score = float(self.calibration.sentence(presence[first:last].max())) if last > first else 0.0
            sentences.append(
                SentenceFlag(start, end, flagged=bool(names), score=round(score, 4), techniques=tuple(sorted(names)))
            )
        article_score = float(np.mean([s.score for s in sentences])) if sentences else 0.0
        genre, frames = (
            self.article_heads.predict(article_features(article.text, encoded))
            if self.article_heads is not None
            else (None, None)
        )
        return Analysis(
            article=article,
            spans=tuple(spans),
            sentences=tuple(sentences),
            score=round(article_score, 4),
            covered_share=round(covered_share(spans, len(article.text)), 4),
            model_id=self.model_id,
            scheme=self.scheme,
            genre=genre,
            frames=frames,
        )


def onnx_session(path: Path, threads: int, spin: bool) -> ort.InferenceSession:
    """An ONNX Runtime session of the graph at `path` (a model's encoder or check layers) on
    `threads` intra-op threads, its workers busy-waiting between calls only with `spin`."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_head(path: Path, names: tuple[str, ...]) -> SpanHead:
    """A head written by `save_head`, in float32 whatever its weights were stored as."""
    with np.load(path) as stored:
        w1, b1, w2, b2 = (stored_weights(stored, key) for key in ("w1", "b1", "w2", "b2"))
    return SpanHead(w1, b1, w2, b2, names=names)


def stored_weights(stored: Any, key: str) -> NDArray[np.float32]:
    """Array `key` of a stored head in float32: int8 rows times their scales (`key`_scale), or as stored."""
    weights = stored[key].astype(np.float32)
    if f"{key}_scale" in stored:
        weights *= stored[f"{key}_scale"].astype(np.float32)[..., None]
    return np.asarray(weights, np.float32)


def save_head(path: Path, head: SpanHead, dtype: type[np.number[Any]] = np.float32) -> None:
    """Write a head in the form `load_head` reads (its names live in the model description),
    its weights stored as `dtype`. With int8, each row of a weight matrix is stored as int8
    times a float16 scale (its largest magnitude / 127), and biases in float16: a quarter of
    float32's bytes."""
    arrays: dict[str, Any] = {}
    for key in ("w1", "b1", "w2", "b2"):
        weights = np.asarray(getattr(head, key), np.float32)
        if dtype is not np.int8:
            arrays[key] = weights.astype(dtype)
        elif key.startswith("b"):
            arrays[key] = weights.astype(np.float16)
        else:
            scale = (np.abs(weights).max(axis=-1) / 127.0).astype(np.float16)
            safe = np.where(scale > 0, scale.astype(np.float32), 1.0)
            arrays[key] = np.clip(np.rint(weights / safe[..., None]), -127, 127).astype(np.int8)
            arrays[f"{key}_scale"] = scale
    np.savez(path, **arrays)


def write_description(folder: Path, description: dict[str, Any]) -> None:
    """Write a model description where `ModelRuntime.load` reads it."""
    (folder / MODEL_FILE).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")


def load_check(folder: Path, description: dict[str, Any]) -> PassageCheck | None:
    """The passage check a model's description names; its file must then be there."""
    if "passage_check" not in description:
        return None
    recorded = description["passage_check"]
    head = load_head(folder / PASSAGE_CHECK_FILE, PASSAGE_CHECK_OUTPUTS)
    return PassageCheck(head, float(recorded["weight"]), bool(recorded.get("article_vectors", False)))


def load_check_layers(folder: Path, description: dict[str, Any], threads: int, spin: bool) -> CheckLayers | None:
    """The check layers a model's description names, on `threads` threads a call; their file
    must then be there."""
    if "check_layers" not in description:
        return None
    session = onnx_session(folder / CHECK_LAYERS_FILE, threads, spin)
    return CheckLayers(session, float(description["check_layers"]["share"]))


def load_naming(folder: Path, description: dict[str, Any], names: tuple[str, ...]) -> NamingHead | None:
    """The naming head a model's description names; its file must then be there."""
    if "naming_head" not in description:
        return None
    return NamingHead(load_head(folder / NAMING_HEAD_FILE, names), float(description["naming_head"]["weight"]))


def load_triage(folder: Path, description: dict[str, Any]) -> Triage | None:
    """The passage triage a model's description names; its file must then be there."""
    if "triage" not in description:
        return None
    return Triage.load(folder / TRIAGE_FILE, float(description["triage"]["margin"]))


def load_edges(folder: Path, description: dict[str, Any]) -> EdgeModel | None:
    """The edge model a model's description names; its file must then be there."""
    if "edges" not in description:
        return None
    return EdgeModel.load(folder / EDGES_FILE, float(description["edges"]["margin"]))


def onnx_run(session: ort.InferenceSession, check_input: bool = False) -> EncoderRun:
    """The encoder as a function of (input_ids, attention_mask): its token probabilities and
    hidden vectors, and with `check_input` the vectors its check layers read (`CHECK_INPUT`)."""
    names = ["probabilities", "hidden", *([CHECK_INPUT] if check_input else [])]

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> Sequence[NDArray[np.float32]]:
        outputs: list[NDArray[np.float32]] = session.run(names, {"input_ids": ids, "attention_mask": mask})
        return outputs

    return run


def techniques_by_sentence(bounds: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[set[str]]:
    """The techniques of the spans overlapping each sentence, in time linear in sentences plus
    the sentences each span covers (an article of thousands of sentences stays fast)."""
    starts = np.asarray([start for start, _ in bounds], dtype=np.int64)
    ends = np.asarray([end for _, end in bounds], dtype=np.int64)
    found: list[set[str]] = [set() for _ in bounds]
    for span in spans:
        first = int(np.searchsorted(ends, span.start, side="right"))  # first sentence ending after the start
        index = first
        while index < len(bounds) and starts[index] < span.end:
            found[index].add(span.technique)
            index += 1
    return found
