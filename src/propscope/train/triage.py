"""Fitting a marked model's passage triage (`detect.triage`) on its training articles.

The examples are the passages decoding would read in the training articles (candidates at the
model's own extend threshold and gap whose peak could clear its span threshold), each with
what the article pass says of it and the verdict the model's passage check gives it when it
is read. A ridge regression of the verdict's log-odds on the article pass's view is enough:
on PTC its estimate correlates 0.77 with the verdict on dev, and a small network would cost
the triage its point, which is to be far cheaper than reading. The margin is then the
smallest that loses at most `lost_share` of the passages the model would report in the
training articles, with every article's estimates from a map fitted without it, so the share
holds for articles the map never saw (on dev: `docs/BENCHMARKS.md`, "Passage triage, one BLAS
thread while decoding, articles side by side").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from propscope.detect.calibration import Calibration
from propscope.detect.marked_spans import MarkedSpanClassifier, head_inputs
from propscope.detect.predict import candidate_passages, checked_scores, peaks_of, ranges_of, worth_reading
from propscope.detect.runtime import ModelRuntime
from propscope.detect.triage import TRIAGE_FILE, Triage, raised_verdicts, triage_inputs
from propscope.errors import InputError
from propscope.formats.annotated import span_corpus
from propscope.formats.ptc import PtcCorpus
from propscope.train.marked_head import record_in_description
from propscope.train.ridge import held_out_by_article, ridge_map

log = logging.getLogger("propscope.train")

#: Ridge penalty on standardised inputs; 1, 10, 100 and 1000 chose the same margin and read
#: the same share of dev passages to within 1.2 points (`benchmarks/passage_triage.py`).
RIDGE = 100.0
#: At most this share of the passages the model would report may be ruled out unread. 0.5% lost
#: nothing on dev for a model whose verdict came from the check head alone; with check layers,
#: whose verdict a linear estimate from the article pass follows less well, it cost dev SI 0.003,
#: and 0.2% costs 0.0007 while still leaving 38% of the candidates unread (`docs/BENCHMARKS.md`,
#: "The check layers, shipped").
LOST_SHARE = 0.002
MARGINS = tuple(round(float(m), 2) for m in np.arange(0.0, 8.01, 0.25))
FOLDS = 5
#: verdicts are clipped this far from 0 and 1 before taking log-odds
VERDICT_FLOOR = 1e-4


@dataclass(frozen=True)
class TriageExamples:
    """The passages decoding would read in a corpus: the article each comes from, its
    `triage_inputs`, its peak and the verdict the passage check gives it."""

    articles: NDArray[np.str_]
    inputs: NDArray[np.float32]
    peaks: NDArray[np.float32]
    verdicts: NDArray[np.float32]


def marked_checker(runtime: ModelRuntime, folder: Path) -> MarkedSpanClassifier:
    """The model's classifier, or a one-line error when it has no passage check to estimate."""
    classifier = runtime.classifier
    if not isinstance(classifier, MarkedSpanClassifier) or classifier.check is None:
        raise InputError(
            "has no passage check, so there is no verdict to triage; ship it with --span-input marked", path=folder
        )
    return classifier


def triage_examples(runtime: ModelRuntime, classifier: MarkedSpanClassifier, corpus: PtcCorpus) -> TriageExamples:
    """Every passage `runtime` would read in `corpus` without a triage, read (none: empty rows)."""
    thresholds, calibration = runtime.thresholds, runtime.calibration
    articles: list[str] = []
    inputs, peaks, verdicts = [], [], []
    for article_id in sorted(corpus.articles):
        text = corpus.articles[article_id].text
        encoded = runtime.encode_many([text])[0]
        candidates = candidate_passages(text, encoded, thresholds.run_threshold, thresholds.max_gap)
        read = worth_reading(
            peaks_of(candidates),
            np.ones(len(candidates), np.float32),
            classifier.check_weight,
            calibration,
            thresholds.span,
        )
        passages = [p for p, keep in zip(candidates, read, strict=True) if keep]
        if not passages:
            continue
        ranges = ranges_of(passages)
        marked_read = classifier.reader.read_passages(text, ranges)
        marked = head_inputs(marked_read.readings, text, ranges)
        articles += [article_id] * len(passages)
        inputs.append(triage_inputs(text, encoded, passages))
        peaks.append(peaks_of(passages))
        verdicts.append(classifier.verdicts(encoded, ranges, marked, marked_read.verdicts))
    if not articles:
        empty = np.zeros(0, np.float32)
        return TriageExamples(np.zeros(0, str), np.zeros((0, 0), np.float32), empty, empty)
    return TriageExamples(np.asarray(articles), np.concatenate(inputs), np.concatenate(peaks), np.concatenate(verdicts))


def fit_linear(inputs: NDArray[np.float32], verdicts: NDArray[np.float32], ridge: float = RIDGE) -> Triage:
    """Ridge regression of the verdicts' log-odds on standardised inputs, with no margin yet."""
    clipped = np.clip(verdicts.astype(np.float64), VERDICT_FLOOR, 1 - VERDICT_FLOOR)
    return Triage(ridge_map(inputs, np.log(clipped / (1 - clipped))[:, None], ridge), 0.0)


def cross_fitted_log_odds(examples: TriageExamples, ridge: float = RIDGE, folds: int = FOLDS) -> NDArray[np.float32]:
    """Each example's estimate from a map fitted on the other folds' articles (dealt in sorted order)."""
    estimates = np.zeros(len(examples.verdicts), np.float32)
    for held in held_out_by_article(examples.articles, folds):
        fitted = fit_linear(examples.inputs[~held], examples.verdicts[~held], ridge)
        estimates[held] = fitted.log_odds(examples.inputs[held])
    return estimates


@dataclass(frozen=True)
class MarginChoice:
    margin: float
    #: of the passages the model reports, the share the triage rules out
    lost_share: float
    #: of the passages it would read, the share it no longer reads
    skipped_share: float


def reported_examples(
    examples: TriageExamples, check_weight: float, calibration: Calibration, threshold: float
) -> NDArray[np.bool_]:
    """Which examples a model (its check's weight, calibration and span threshold) reports once read."""
    return np.asarray(calibration.span(checked_scores(examples.peaks, examples.verdicts, check_weight)) >= threshold)


def ruled_out(
    examples: TriageExamples,
    estimates: NDArray[np.float32],
    margin: float,
    check_weight: float,
    calibration: Calibration,
    threshold: float,
) -> NDArray[np.bool_]:
    """Which examples a triage with these `estimates` (log-odds) and `margin` leaves unread."""
    ceilings = raised_verdicts(estimates, margin)
    return ~worth_reading(examples.peaks, ceilings, check_weight, calibration, threshold)


def choose_margin(
    examples: TriageExamples,
    estimates: NDArray[np.float32],
    check_weight: float,
    calibration: Calibration,
    threshold: float,
    lost_share: float = LOST_SHARE,
) -> MarginChoice:
    """The smallest margin in MARGINS that rules out at most `lost_share` of the passages a
    model (its check's weight, its calibration, its span threshold) reports, given `estimates`
    (log-odds) of their verdicts; the largest, if none does."""
    reported = reported_examples(examples, check_weight, calibration, threshold)
    choice = MarginChoice(MARGINS[-1], 0.0, 0.0)
    for margin in MARGINS:
        skipped = ruled_out(examples, estimates, margin, check_weight, calibration, threshold)
        choice = MarginChoice(margin, float((skipped & reported).sum() / max(1, reported.sum())), float(skipped.mean()))
        if choice.lost_share <= lost_share:
            break
    return choice


def fit_triage(folder: Path, train_dir: Path, lost_share: float = LOST_SHARE) -> dict[str, Any]:
    """Fit `folder`'s passage triage on the training articles in `train_dir`, write it, and
    return what the description records of it."""
    runtime = ModelRuntime.load(folder, spin=False)
    classifier = marked_checker(runtime, folder)
    corpus = span_corpus(train_dir, runtime.scheme, "train")
    examples = triage_examples(runtime, classifier, corpus)
    if not len(examples.verdicts):
        raise InputError(
            "the model finds no passage worth reading in these articles, so there is nothing to fit a triage on; "
            "give the training folder the model was trained on with --train-dir",
            path=train_dir,
        )
    log.info("triage: %d passages read in %d training articles", len(examples.verdicts), len(corpus.articles))
    choice = choose_margin(
        examples,
        cross_fitted_log_odds(examples),
        classifier.check_weight,
        runtime.calibration,
        runtime.thresholds.span,
        lost_share,
    )
    fit_linear(examples.inputs, examples.verdicts).estimate.save(folder / TRIAGE_FILE)
    recorded = {
        "margin": choice.margin,
        "lost_share_allowed": lost_share,
        "ridge": RIDGE,
        "articles": len(np.unique(examples.articles)),
        "passages": len(examples.verdicts),
        "cross_fitted": {"lost_share": round(choice.lost_share, 4), "skipped_share": round(choice.skipped_share, 4)},
    }
    record_in_description(folder, triage=recorded)
    return recorded
