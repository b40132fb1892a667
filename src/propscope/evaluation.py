"""Scoring predictions against gold: what `propscope evaluate` computes, independent of display.

Gold is a PTC folder (texts and labels, so every task including sentence-level can be scored)
or a bare label file. Predictions are a label file or analyses in JSON/JSONL. Which tasks are
scored follows from what the two sides hold, unless the caller asks for one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from propscope import metrics, techniques
from propscope.article import Analysis, Span
from propscope.errors import InputError
from propscope.formats import jsonl, ptc
from propscope.formats.semeval2023 import Semeval2023Corpus, paragraph_labels, read_semeval2023
from propscope.techniques import TECHNIQUE_NAMES

if TYPE_CHECKING:
    from propscope.detect.runtime import ModelRuntime

TASKS = ("si", "tc", "flc", "sentence")
SEMEVAL2023_TASKS = {"genre": "subtask1_genre", "frames": "subtask2_frames", "paragraphs": "subtask3_paragraphs"}


def opinion_reporting_f1(genre: metrics.LabelScores) -> float:
    """Macro-F1 over opinion and reporting only: with one satire article in dev, the official
    three-genre macro-F1 swings by a third on that one article."""
    return (genre.per_label.get("opinion", 0.0) + genre.per_label.get("reporting", 0.0)) / 2


@dataclass(frozen=True)
class FlcScores:
    """FLC over all techniques, plus F1 for each technique on its own."""

    overall: metrics.PRF
    per_technique: dict[str, float]

    @property
    def f1(self) -> float:
        return self.overall.f1

    def to_dict(self) -> dict[str, Any]:
        return self.overall.to_dict() | {"per_technique": dict(self.per_technique)}


@dataclass(frozen=True)
class Evaluation:
    """Scores of predictions against gold; a task is None when the inputs do not allow it."""

    si: metrics.PRF | None = None
    tc: metrics.TechniqueScores | None = None
    flc: FlcScores | None = None
    sentence: metrics.PRF | None = None
    model_id: str | None = None
    #: SemEval-2023 subtask 1 (macro-F1 is official), 2 and 3 (micro-F1 is official)
    genre: metrics.LabelScores | None = None
    frames: metrics.LabelScores | None = None
    paragraphs: metrics.LabelScores | None = None
    #: per technique, how the predicted spans met the gold (when the predictions name techniques)
    flags: dict[str, metrics.Flags] | None = None

    def f1(self) -> dict[str, float]:
        """F1 of every scored task, e.g. for a log line or a model card."""
        return {name: round(float(task.f1), 4) for name in TASKS if (task := getattr(self, name)) is not None}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape `propscope evaluate --format json` prints."""
        data: dict[str, Any] = {name: task.to_dict() for name in TASKS if (task := getattr(self, name)) is not None}
        for name, key in SEMEVAL2023_TASKS.items():
            if (scores := getattr(self, name)) is not None:
                data[key] = scores.to_dict()
        if self.genre is not None:
            data[SEMEVAL2023_TASKS["genre"]]["macro_f1_opinion_reporting"] = opinion_reporting_f1(self.genre)
        if self.flags is not None:
            data["flags"] = {name: flags.to_dict() for name, flags in self.flags.items()}
        if self.model_id is not None:
            data["model_id"] = self.model_id
        return data


@dataclass(frozen=True)
class Gold:
    """Gold spans, and the article texts when the gold came from a folder."""

    ranges: dict[str, list[tuple[int, int]]]
    spans: dict[str, list[Span]] | None
    texts: dict[str, str] | None


@dataclass(frozen=True)
class Predictions:
    """Predicted spans; `spans` is None when the file gives no techniques (SI only)."""

    ranges: dict[str, list[tuple[int, int]]]
    spans: dict[str, list[Span]] | None
    path: Path


def load_gold(path: Path) -> Gold:
    """Read gold from a PTC folder or a single SI/TC label file."""
    if path.is_dir():
        corpus = ptc.read_ptc_folder(path)
        return Gold(
            ranges=corpus.si_spans(),
            spans=corpus.tc_spans() if corpus.tc_rows else None,
            texts={aid: a.text for aid, a in corpus.articles.items()},
        )
    rows = ptc.read_label_file(path)
    has_techniques = bool(rows) and all(r.technique not in (None, ptc.TEMPLATE_TECHNIQUE) for r in rows)
    spans = ptc.group_spans(rows) if has_techniques else None
    ranges = ptc.group_ranges(rows)
    if spans is not None:
        ranges = {aid: ptc.merge_overlapping(r) for aid, r in ranges.items()}
    return Gold(ranges=ranges, spans=spans, texts=None)


def load_predictions(path: Path) -> Predictions:
    """Read predictions from a label file or from JSON/JSONL analyses."""
    if path.suffix in (".json", ".jsonl"):
        spans = {a.article.id: list(a.spans) for a in jsonl.read_analyses(path)}
        ranges = {aid: [(s.start, s.end) for s in article_spans] for aid, article_spans in spans.items()}
        return Predictions(ranges=ranges, spans=spans, path=path)
    rows = ptc.read_label_file(path)
    with_technique = [r for r in rows if r.technique not in (None, ptc.TEMPLATE_TECHNIQUE)]
    if rows and len(with_technique) != len(rows) and with_technique:
        raise InputError("mixes rows with and without techniques; use one format per file", path=path)
    return Predictions(
        ranges=ptc.group_ranges(rows), spans=ptc.group_spans(rows) if with_technique else None, path=path
    )


def model_predictions(
    runtime: ModelRuntime, corpus: ptc.PtcCorpus, limit: int | None = None, progress: Progress | None = None
) -> tuple[Gold, Predictions, dict[str, list[Span]], dict[str, Analysis]]:
    """Run a model over a PTC folder: its spans, and its techniques for the gold spans (TC,
    from the same encoder pass).

    `limit` keeps the first N articles (by id) for a quick check; gold is cut to match.
    """
    from propscope.detect.predict import label_given_spans

    corpus = corpus.first(limit)
    article_ids = sorted(corpus.articles)
    gold_spans = corpus.tc_spans()
    gold_ranges = corpus.si_spans()
    spans: dict[str, list[Span]] = {}
    tc_spans: dict[str, list[Span]] = {}
    analyses: dict[str, Analysis] = {}
    for article_id in progress(article_ids) if progress else article_ids:
        article = corpus.articles[article_id]
        encoded = runtime.encode_many([article.text])[0]
        spans[article_id] = runtime.spans(article.text, encoded)
        analyses[article_id] = runtime.analysis(article, spans[article_id], encoded)
        tc_spans[article_id] = label_given_spans(article.text, encoded, runtime.classifier, gold_spans[article_id])
    gold = Gold(ranges=gold_ranges, spans=gold_spans, texts={aid: a.text for aid, a in corpus.articles.items()})
    ranges_by_id = {aid: [(s.start, s.end) for s in article_spans] for aid, article_spans in spans.items()}
    return gold, Predictions(ranges=ranges_by_id, spans=spans, path=corpus.root), tc_spans, analyses


Progress = Callable[[list[str]], Iterable[str]]


def evaluate_model(
    runtime: ModelRuntime,
    gold_folder: Path,
    *,
    split: str = "all",
    limit: int | None = None,
    task: str | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Run a loaded model over annotated articles and score it, as `propscope evaluate` does:
    a PTC folder for a SemEval-2020 model; for a SemEval-2023 model one split of its English
    folder, scored on its spans and on subtasks 1-3 as well."""
    if not gold_folder.is_dir():
        raise InputError("to evaluate the model, --gold must be a folder of articles plus labels", path=gold_folder)
    names = techniques.scheme(runtime.scheme).names
    if runtime.scheme != techniques.SEMEVAL2023.name:
        gold, predictions, tc, _ = model_predictions(runtime, ptc.read_ptc_folder(gold_folder), limit, progress)
        return evaluate(gold, predictions, task, tc_predictions=tc, model_id=runtime.model_id, names=names)
    annotated = read_semeval2023(gold_folder, split).first(limit)
    gold, predictions, tc, analyses = model_predictions(runtime, annotated.as_span_corpus(), None, progress)
    scores = evaluate(gold, predictions, task, tc_predictions=tc, model_id=runtime.model_id, names=names)
    genre, frames, paragraphs = semeval2023_scores(annotated, analyses)
    return replace(scores, genre=genre, frames=frames, paragraphs=paragraphs)


def semeval2023_scores(
    annotated: Semeval2023Corpus, analyses: Mapping[str, Analysis]
) -> tuple[metrics.LabelScores | None, metrics.LabelScores | None, metrics.LabelScores | None]:
    """Subtasks 1 (genre), 2 (frames) and 3 (techniques per paragraph) of predicted analyses
    against the folder's gold, where it has them."""
    genres: dict[str, str] = {}
    frames: dict[str, tuple[str, ...]] = {}
    for article_id, analysis in analyses.items():
        if analysis.genre is not None and article_id in annotated.genres:
            genres[article_id] = analysis.genre.label
        if analysis.frames is not None and article_id in annotated.frames:
            frames[article_id] = analysis.frames.labels
    genre = metrics.single_label({a: annotated.genres[a] for a in genres}, genres) if genres else None
    frame = metrics.multi_label({a: annotated.frames[a] for a in frames}, frames) if frames else None
    gold = {
        f"{article_id}:{number}": labels
        for article_id, by_number in annotated.paragraph_gold.items()
        if article_id in analyses
        for number, labels in by_number.items()
    }
    predicted = {
        f"{article_id}:{number}": labels
        for article_id, analysis in analyses.items()
        for number, labels in paragraph_labels(analysis.article.text, analysis.spans).items()
    }
    return genre, frame, metrics.multi_label(gold, predicted) if gold else None


def evaluate(
    gold: Gold,
    predictions: Predictions,
    task: str | None = None,
    tc_predictions: Mapping[str, list[Span]] | None = None,
    model_id: str | None = None,
    names: Sequence[str] = TECHNIQUE_NAMES,
) -> Evaluation:
    """Scores for each applicable task (`names`: the techniques of the scheme).

    With `task=None` every task the inputs allow is scored: TC only when the predictions label
    exactly the gold spans (otherwise it is skipped, since TC is defined on gold spans), or
    from `tc_predictions` when a model labelled the gold spans separately.
    """
    _check_articles(gold, predictions)
    wanted = (task,) if task else TASKS
    scores: dict[str, Any] = {}
    if "si" in wanted:
        scores["si"] = metrics.span_identification(gold.ranges, predictions.ranges)
    if "flc" in wanted or "tc" in wanted:
        gold_spans, predicted_spans = _technique_spans(gold, predictions, required=task in ("flc", "tc"))
        if gold_spans is not None and predicted_spans is not None:
            if "flc" in wanted:
                scores["flc"] = flc_scores(gold_spans, predicted_spans, names)
            if "tc" in wanted:
                try:
                    scores["tc"] = metrics.technique_classification(
                        gold_spans, tc_predictions if tc_predictions is not None else predicted_spans, names
                    )
                except metrics.SpanMismatchError as error:
                    if task == "tc":
                        raise InputError(str(error), path=predictions.path) from None
    if "sentence" in wanted:
        if gold.texts is not None:
            scores["sentence"] = metrics.sentence_level(gold.texts, gold.ranges, predictions.ranges)
        elif task == "sentence":
            raise InputError("sentence-level scores need the article texts; give a PTC folder as --gold")
    if task is None and predictions.spans is not None:
        scores["flags"] = metrics.flags_by_technique(gold.ranges, predictions.spans)
    return Evaluation(**scores, model_id=model_id)


def flc_scores(
    gold: Mapping[str, list[Span]], predicted: Mapping[str, list[Span]], names: Sequence[str] = TECHNIQUE_NAMES
) -> FlcScores:
    by_technique = metrics.fragment_classification_by_technique(gold, predicted, names)
    return FlcScores(
        metrics.fragment_classification(gold, predicted), {name: prf.f1 for name, prf in by_technique.items()}
    )


def _technique_spans(
    gold: Gold, predictions: Predictions, *, required: bool
) -> tuple[dict[str, list[Span]] | None, dict[str, list[Span]] | None]:
    if required and gold.spans is None:
        raise InputError("this task needs gold with techniques (a TC/FLC label file or a PTC folder with one)")
    if required and predictions.spans is None:
        raise InputError(
            "has no techniques; this task needs 4-column rows (id, technique, start, end)", path=predictions.path
        )
    return gold.spans, predictions.spans


def _check_articles(gold: Gold, predictions: Predictions) -> None:
    """With a gold folder every predicted article must be one of its articles; a bare label
    file cannot tell an unknown article from one without gold spans, so it is not checked."""
    if gold.texts is None:
        return
    unknown = sorted(set(predictions.ranges) - set(gold.texts))
    if unknown:
        raise InputError(
            f"predicts article {unknown[0]}, which is not in the gold ({len(unknown)} such article(s))",
            path=predictions.path,
        )
