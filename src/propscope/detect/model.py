"""The Detector: a propscope model folder run with ONNX Runtime and `tokenizers`, no torch.

`Detector.load()` reads the folder once (encoder, tokenizer, span head, thresholds); then
`analyze()` and the streaming `analyze_many()` turn articles into `Analysis` values. An
article's result never depends on what else is analysed with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from propscope.article import Analysis, Article, SentenceFlag, Span, covered_share
from propscope.detect.encoding import encode_texts
from propscope.detect.predict import Encoded, SpanHead, Thresholds, find_spans, label_given_spans
from propscope.detect.windows import load_tokenizer, special_ids
from propscope.errors import InputError
from propscope.sentences import split_sentences

MODEL_FILE = "propscope-model.json"
REQUIRED_FILES = ("encoder.onnx", "tokenizer.json", "span_head.npz", MODEL_FILE)
DEFAULT_MAX_CHARS = 1_000_000


def default_model_dir() -> Path:
    """The model shipped inside the package, so that a plain pip install can analyse offline."""
    return Path(__file__).resolve().parents[1] / "models" / "propscope-minilm"


class Detector:
    """Finds technique spans in articles with a loaded propscope model."""

    def __init__(self, path: Path, session: ort.InferenceSession, description: dict[str, Any], head: SpanHead):
        self.path = path
        self.session = session
        self.description = description
        self.head = head
        self.tokenizer = load_tokenizer(str(path / "tokenizer.json"))
        self.specials = special_ids(self.tokenizer)
        self.thresholds = Thresholds(**description["thresholds"])
        self.window_tokens = int(description["window_tokens"])
        self.stride = int(description["stride"])
        self.model_id = str(description["model_id"])

    @classmethod
    def load(cls, path: str | Path | None = None, *, threads: int | None = None, spin: bool = True) -> Detector:
        """Load a model folder (default: the shipped model); errors name the folder and the fix.

        `spin=False` stops ONNX Runtime's worker threads from busy-waiting between calls, which
        matters when the same process also runs torch or other thread pools.
        """
        folder = Path(path) if path is not None else default_model_dir()
        if not folder.is_dir():
            raise InputError(
                "model folder not found; give a folder made by 'propscope train' with --model", path=folder
            )
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise InputError(f"is not a propscope model folder: missing {', '.join(missing)}", path=folder)
        try:
            description = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            weights = np.load(folder / "span_head.npz")
            head = SpanHead(*(weights[k].astype(np.float32) for k in ("w1", "b1", "w2", "b2")))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or os.cpu_count() or 1
            options.inter_op_num_threads = 1
            if not spin:
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(folder / "encoder.onnx"), options, providers=["CPUExecutionProvider"])
            return cls(folder, session, description, head)
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
            self._run,
            window_tokens=self.window_tokens,
            stride=self.stride,
            specials=self.specials,
        )

    def _run(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        probabilities, hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return probabilities, hidden

    def analyze_and_classify(self, article: Article, given: Sequence[Span]) -> tuple[Analysis, list[Span]]:
        """The analysis of an article plus techniques for spans already known (the SemEval TC
        setting), from one pass of the encoder."""
        encoded = self.encode_many([article.text])[0]
        spans = find_spans(
            article.text, encoded.tokens, encoded.probabilities, encoded.hidden, self.head, self.thresholds
        )
        analysis = build_analysis(article, spans, encoded, self.model_id)
        return analysis, label_given_spans(article.text, encoded, self.head, given)

    def analyze(
        self,
        item: str | Article,
        *,
        threshold: float | None = None,
        techniques: Iterable[str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> Analysis:
        """Analyse one text or article."""
        return next(self.analyze_many([item], threshold=threshold, techniques=techniques, max_chars=max_chars))

    def analyze_many(
        self,
        items: Iterable[str | Article],
        *,
        threshold: float | None = None,
        techniques: Iterable[str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        articles_per_batch: int = 8,
    ) -> Iterator[Analysis]:
        """Analyse a stream of texts or articles lazily, in order, a few articles at a time.

        `threshold` replaces the tuned span threshold; `techniques` keeps only those techniques;
        articles longer than `max_chars` characters are refused with an InputError.
        """
        thresholds = self.thresholds if threshold is None else replace(self.thresholds, span=threshold)
        wanted = frozenset(techniques) if techniques is not None else None
        iterator = iter(_as_articles(items))
        while batch := list(islice(iterator, articles_per_batch)):
            for article in batch:
                if len(article.text) > max_chars:
                    raise InputError(
                        f"article has {len(article.text):,} characters, over the limit of {max_chars:,}; "
                        "split it or raise the limit (--max-chars or PROPSCOPE_MAX_CHARS)",
                        path=article.id,
                    )
            for article, encoded in zip(batch, self.encode_many([a.text for a in batch]), strict=True):
                spans = find_spans(
                    article.text, encoded.tokens, encoded.probabilities, encoded.hidden, self.head, thresholds
                )
                if wanted is not None:
                    spans = [s for s in spans if s.technique in wanted]
                yield build_analysis(article, spans, encoded, self.model_id)


def _as_articles(items: Iterable[str | Article]) -> Iterator[Article]:
    for number, item in enumerate(items, start=1):
        yield item if isinstance(item, Article) else Article(id=f"text-{number}", text=item)


def build_analysis(article: Article, spans: list[Span], encoded: Encoded, model_id: str) -> Analysis:
    """Sentence flags and the article score from spans and token probabilities.

    A sentence's score is the highest "inside a technique" probability of its tokens; it is
    flagged when a reported span overlaps it. The article score is the mean sentence score, so
    it reads as "how propagandistic is a typical sentence here".
    """
    sentences = []
    offsets = encoded.tokens.offsets
    presence = encoded.probabilities[:, 0] if len(encoded.tokens) else np.zeros(0, np.float32)
    for start, end in split_sentences(article.text):
        inside = (offsets[:, 0] < end) & (offsets[:, 1] > start) if len(offsets) else np.zeros(0, bool)
        score = float(presence[inside].max()) if inside.any() else 0.0
        overlapping = [s for s in spans if s.overlaps(start, end)]
        sentences.append(
            SentenceFlag(
                start=start,
                end=end,
                flagged=bool(overlapping),
                score=round(score, 4),
                techniques=tuple(sorted({s.technique for s in overlapping})),
            )
        )
    article_score = float(np.mean([s.score for s in sentences])) if sentences else 0.0
    return Analysis(
        article=article,
        spans=tuple(spans),
        sentences=tuple(sentences),
        score=round(article_score, 4),
        covered_share=round(covered_share(spans, len(article.text)), 4),
        model_id=model_id,
    )
