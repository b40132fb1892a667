"""Does the detector's quality depend on how an article's text is laid out?

    python benchmarks/text_layout.py [--model DIR] [--limit N]

PTC articles hold one sentence per line; news pasted from elsewhere comes as paragraphs, as
one long line, or with typographic quotes. Each layout below changes the dev articles without
moving a single character offset (a newline becomes a space, a straight quote a curly one), so
the gold spans stay valid and SI, TC and FLC are scored as `propscope evaluate --split dev`
scores them; for a SemEval-2023 model, genre and frames (subtasks 1 and 2) too. Sentence F1 and
subtask 3 are left out: they split sentences or paragraphs on the text they are given, so a
layout that removes line breaks changes what they count as well as what the model finds.
Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope import techniques  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.evaluation import evaluate, model_predictions, opinion_reporting_f1, semeval2023_scores  # noqa: E402
from propscope.formats.ptc import PtcCorpus, read_ptc_folder  # noqa: E402
from propscope.formats.semeval2023 import Semeval2023Corpus, read_semeval2023  # noqa: E402

SENTENCES_PER_PARAGRAPH = 4


def as_given(text: str) -> str:
    return text


def paragraphs(text: str) -> str:
    """Sentences joined into paragraphs of four, as most news sites print them: a line break
    between two sentences becomes a space unless the paragraph already holds four; breaks next
    to a blank line (the title's) stay."""
    lines = text.split("\n")
    out, held = [lines[0]], 1
    for previous, line in itertools.pairwise(lines):
        join = bool(previous) and bool(line) and held < SENTENCES_PER_PARAGRAPH
        held = held + 1 if join else 1
        out.append((" " if join else "\n") + line)
    return "".join(out)


def one_line(text: str) -> str:
    return text.replace("\n", " ")


def curly_quotes(text: str) -> str:
    """Straight quotes turned typographic: double quotes open and close in turn, and every
    single quote becomes the apostrophe U+2019."""
    out, opening = [], True
    for char in text:
        if char == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append("\u2019" if char == "'" else char)
    return "".join(out)


LAYOUTS: dict[str, Callable[[str], str]] = {
    "as given (PTC: one sentence a line)": as_given,
    f"paragraphs of {SENTENCES_PER_PARAGRAPH} sentences": paragraphs,
    "the whole article on one line": one_line,
    "curly quotes and apostrophes": curly_quotes,
}


Corpus = TypeVar("Corpus", PtcCorpus, Semeval2023Corpus)


def laid_out(corpus: Corpus, layout: Callable[[str], str]) -> Corpus:
    articles = {}
    for article_id, article in corpus.articles.items():
        text = layout(article.text)
        assert len(text) == len(article.text), "a layout must keep every offset"
        articles[article_id] = replace(article, text=text)
    return replace(corpus, articles=articles)


def scores_by_layout(runtime: ModelRuntime, limit: int | None) -> Iterator[tuple[str, list[float]]]:
    """Each layout's SI P, R, F1, TC and FLC, then genre micro-F1, genre macro-F1 over opinion
    and reporting, and frames micro-F1 for a SemEval-2023 model."""
    folder = Settings().dev_folder(runtime.scheme)
    semeval2023 = runtime.scheme == techniques.SEMEVAL2023.name
    annotated = read_semeval2023(folder, "dev").first(limit) if semeval2023 else None
    corpus = annotated.as_span_corpus() if annotated else read_ptc_folder(folder).first(limit)
    for name, layout in LAYOUTS.items():
        gold, predictions, tc, analyses = model_predictions(runtime, laid_out(corpus, layout))
        scores = evaluate(gold, predictions, tc_predictions=tc, names=techniques.scheme(runtime.scheme).names)
        assert scores.si and scores.tc and scores.flc
        row = [scores.si.precision, scores.si.recall, scores.si.f1, scores.tc.f1, scores.flc.f1]
        if annotated:
            genre, frames, _ = semeval2023_scores(laid_out(annotated, layout), analyses)
            assert genre and frames
            row += [genre.micro_f1, opinion_reporting_f1(genre), frames.micro_f1]
        yield name, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model)
    columns = ["SI P", "SI R", "SI F1", "TC micro-F1", "FLC F1"]
    if runtime.scheme == techniques.SEMEVAL2023.name:
        columns += ["genre micro-F1", "genre macro-F1 (opinion, reporting)", "frames micro-F1"]
    print("| layout of the dev articles | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for name, row in scores_by_layout(runtime, args.limit):
        print(f"| {name} | " + " | ".join(f"{value:.4f}" for value in row) + " |", flush=True)


if __name__ == "__main__":
    main()
