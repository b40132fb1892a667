"""propscope as a spaCy pipeline component: `nlp.add_pipe("propscope")`.

The component is registered through spaCy's `spacy_factories` entry point, so installing
propscope with the spaCy extra (`pip install 'propscope[spacy]'`) is all it takes:

>>> import spacy                                   # doctest: +SKIP
>>> nlp = spacy.blank("en")                        # doctest: +SKIP
>>> nlp.add_pipe("propscope", config={"threshold": 0.3})  # doctest: +SKIP
>>> doc = nlp("They are vile, cowardly traitors!")  # doctest: +SKIP
>>> [(span.text, span.label_) for span in doc.spans["propaganda"]]  # doctest: +SKIP

Each span of `doc.spans["propaganda"]` carries its technique as label; the scores are in
`doc.spans["propaganda"].attrs["scores"]` (same order) and the exact character offsets in
`.attrs["char_offsets"]`: propscope's spans are whole words, which spaCy's tokens match almost
always, but where a boundary falls inside a spaCy token the Span is widened to whole tokens and
`char_offsets` still says precisely what propscope found. `doc._.propaganda_score` is the
article score; with a SemEval-2023 model `doc._.propaganda_genre` and `doc._.propaganda_frames`
are set too. It works after any other component (it reads `doc.text`) and in `nlp.pipe`
batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup

from propscope.article import Analysis
from propscope.detect.model import Detector

SPANS_KEY = "propaganda"

for _name, _default in (("propaganda_score", None), ("propaganda_genre", None), ("propaganda_frames", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


class PropscopeComponent:
    """Finds propaganda technique spans in each Doc with a propscope detector."""

    def __init__(self, detector: Detector, spans_key: str = SPANS_KEY, batch_size: int = 8):
        self.detector = detector
        self.spans_key = spans_key
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return self._annotate(doc, self.detector.analyze(doc.text))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._batch(batch)
                batch = []
        yield from self._batch(batch)

    def _batch(self, docs: list[Doc]) -> Iterator[Doc]:
        analyses = self.detector.analyze_many([doc.text for doc in docs], batch_size=max(1, len(docs)))
        for doc, analysis in zip(docs, analyses, strict=True):
            yield self._annotate(doc, analysis)

    def _annotate(self, doc: Doc, analysis: Analysis) -> Doc:
        spans, scores, offsets = [], [], []
        for found in analysis.spans:
            span = doc.char_span(found.start, found.end, label=found.technique, alignment_mode="strict")
            if span is None:
                span = doc.char_span(found.start, found.end, label=found.technique, alignment_mode="expand")
            if span is None:  # only white space between tokens; nothing to mark
                continue
            spans.append(span)
            scores.append(found.score)
            offsets.append((found.start, found.end))
        doc.spans[self.spans_key] = SpanGroup(
            doc,
            name=self.spans_key,
            spans=spans,
            attrs={"scores": scores, "char_offsets": offsets, "model_id": analysis.model_id, "scheme": analysis.scheme},
        )
        doc._.propaganda_score = analysis.score
        doc._.propaganda_genre = analysis.genre.label if analysis.genre else None
        doc._.propaganda_frames = list(analysis.frames.labels) if analysis.frames else None
        return doc


@Language.factory(
    "propscope",
    default_config={
        "model": None,
        "threshold": None,
        "techniques": None,
        "scheme": None,
        "spans_key": SPANS_KEY,
        "batch_size": 8,
    },
)
def make_propscope(
    nlp: Language,
    name: str,
    model: str | None,
    threshold: float | None,
    techniques: list[str] | None,
    scheme: str | None,
    spans_key: str,
    batch_size: int,
) -> PropscopeComponent:
    """The factory spaCy calls for `nlp.add_pipe("propscope", config={...})`: `model` a model
    folder (default: the shipped model of `scheme`), `threshold` and `techniques` as for
    `propscope.load`."""
    options: dict[str, Any] = {"threshold": threshold, "techniques": techniques, "scheme": scheme}
    detector = Detector.load(Path(model) if model else None, **options)
    return PropscopeComponent(detector, spans_key=spans_key, batch_size=batch_size)
