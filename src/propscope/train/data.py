"""Training examples from a PTC folder: token windows with multi-label targets and gold spans.

Windows are cut exactly as inference cuts them (`propscope.detect.windows`); a token is
inside a technique when its characters overlap a gold span of it. Gold spans that lie whole
inside a window become targets for the span head there; for a model that reads spans marked
in their context, every gold span is also one marked input of its own. Each token also carries
the number of its sentence (as the sentence F1 measure splits them), for the sentence loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from propscope.article import Article, Span
from propscope.detect.decode import tokens_of
from propscope.detect.features import span_features
from propscope.detect.marked_spans import MarkedInput, marked_input
from propscope.detect.windows import TokenizedText, Window, plan_windows, tokenize
from propscope.sentences import split_sentences
from propscope.train.teacher import EnsembleView


@dataclass(frozen=True)
class SpanTarget:
    """A gold span inside one window: token positions in the window (after [CLS]), and the
    teacher's technique probabilities for it when distilling."""

    first: int
    last: int
    features: NDArray[np.float32]
    technique: int
    soft: NDArray[np.float32] | None = None


@dataclass(frozen=True)
class WindowExample:
    """One window's token ids, per-token targets (tokens, 15), each token's sentence (numbered
    from 0 in the window), span targets, and the teacher's per-token probabilities (tokens, 15)
    when distilling."""

    ids: NDArray[np.int64]
    labels: NDArray[np.float32]
    sentences: NDArray[np.int64]
    spans: tuple[SpanTarget, ...]
    soft_labels: NDArray[np.float32] | None = None


def token_labels(tokens: TokenizedText, spans: list[Span], index: dict[str, int]) -> NDArray[np.float32]:
    """(tokens, 1 + techniques): channel 0 inside any span, channel 1 + i inside technique i."""
    labels = np.zeros((len(tokens), 1 + len(index)), dtype=np.float32)
    for span in spans:
        first, last = tokens_of(tokens.offsets, span.start, span.end)
        labels[first:last, 0] = 1.0
        labels[first:last, 1 + index[span.technique]] = 1.0
    return labels


def token_sentences(tokens: TokenizedText, text: str) -> NDArray[np.int64]:
    """The sentence (of `split_sentences`) that each token starts in."""
    starts = np.array([start for start, _ in split_sentences(text)], dtype=np.int64)
    return np.maximum(np.searchsorted(starts, tokens.offsets[:, 0], side="right") - 1, 0)


def article_examples(
    tokenizer: Tokenizer,
    article: Article,
    spans: list[Span],
    size: int,
    stride: int,
    names: tuple[str, ...],
    teacher: EnsembleView | None = None,
) -> list[WindowExample]:
    """All windows of one article with their targets (and the teacher's, when given); `names`
    are the techniques of the scheme, in the order of the model's outputs."""
    index = {name: i for i, name in enumerate(names)}
    tokens = tokenize(tokenizer, article.text)
    labels = token_labels(tokens, spans, index)
    sentences = token_sentences(tokens, article.text)
    soft_labels = teacher.token_targets(tokens.offsets) if teacher is not None else None
    soft_spans = teacher.span_targets() if teacher is not None else {}
    lowered = article.text.lower()
    located = [(tokens_of(tokens.offsets, s.start, s.end), s) for s in spans]
    examples = []
    for window in plan_windows(len(tokens), size, stride):
        examples.append(
            WindowExample(
                ids=tokens.ids[window.first : window.last],
                labels=labels[window.first : window.last],
                sentences=sentences[window.first : window.last] - sentences[window.first],
                spans=tuple(_targets_in(window, located, article.text, lowered, soft_spans, index)),
                soft_labels=soft_labels[window.first : window.last] if soft_labels is not None else None,
            )
        )
    return examples


def _targets_in(
    window: Window,
    located: list[tuple[tuple[int, int], Span]],
    text: str,
    lowered: str,
    soft_spans: dict[tuple[int, int], NDArray[np.float32]],
    index: dict[str, int],
) -> list[SpanTarget]:
    targets = []
    for (first, last), span in located:
        if window.first <= first and last <= window.last:
            targets.append(
                SpanTarget(
                    first=first - window.first + 1,
                    last=last - window.first + 1,
                    features=span_features(text, span.start, span.end, lowered),
                    technique=index[span.technique],
                    soft=soft_spans.get((span.start, span.end)),
                )
            )
    return targets


@dataclass(frozen=True)
class MarkedExample:
    """A gold span re-read marked in its context: what the marked span classifier learns from."""

    item: MarkedInput
    features: NDArray[np.float32]
    technique: int
    soft: NDArray[np.float32] | None = None


def marked_examples(
    tokenizer: Tokenizer,
    article: Article,
    spans: list[Span],
    names: tuple[str, ...],
    teacher: EnsembleView | None = None,
) -> list[MarkedExample]:
    """One example per gold span of the article (a range with two techniques gives two)."""
    index = {name: i for i, name in enumerate(names)}
    soft_spans = teacher.span_targets() if teacher is not None else {}
    lowered = article.text.lower()
    return [
        MarkedExample(
            item=marked_input(tokenizer, article.text, span.start, span.end),
            features=span_features(article.text, span.start, span.end, lowered),
            technique=index[span.technique],
            soft=soft_spans.get((span.start, span.end)),
        )
        for span in spans
    ]
