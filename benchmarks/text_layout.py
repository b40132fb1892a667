"""Does the detector's quality depend on how an article's text is laid out?

    python benchmarks/text_layout.py [--model DIR] [--limit N]

PTC articles hold one sentence per line; news pasted from elsewhere comes as paragraphs, as
one long line, or with typographic quotes. Each layout below changes the dev articles without
moving a single character offset (a newline becomes a space, a straight quote a curly one), so
the gold spans stay valid and SI, TC and FLC are scored as `propscope evaluate --split dev`
scores them. Sentence F1 is left out: it splits sentences on the text it is given, so a layout
that removes line breaks changes what it counts as well as what the model finds. Prints a
Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.config import Settings  # noqa: E402
from propscope.detect.runtime import ModelRuntime  # noqa: E402
from propscope.evaluation import evaluate, model_predictions  # noqa: E402
from propscope.formats.ptc import PtcCorpus, read_ptc_folder  # noqa: E402

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
    "as in PTC (one sentence a line)": as_given,
    f"paragraphs of {SENTENCES_PER_PARAGRAPH} sentences": paragraphs,
    "the whole article on one line": one_line,
    "curly quotes and apostrophes": curly_quotes,
}


def laid_out(corpus: PtcCorpus, layout: Callable[[str], str]) -> PtcCorpus:
    articles = {}
    for article_id, article in corpus.articles.items():
        text = layout(article.text)
        assert len(text) == len(article.text), "a layout must keep every offset"
        articles[article_id] = replace(article, text=text)
    return replace(corpus, articles=articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    runtime = ModelRuntime.load(args.model)
    corpus = read_ptc_folder(Settings().dev_folder(runtime.scheme)).first(args.limit)
    print("| layout of the dev articles | SI P | SI R | SI F1 | TC micro-F1 | FLC F1 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, layout in LAYOUTS.items():
        gold, predictions, tc, _ = model_predictions(runtime, laid_out(corpus, layout))
        scores = evaluate(gold, predictions, tc_predictions=tc).to_dict()
        si = scores["si"]
        print(
            f"| {name} | {si['precision']:.4f} | {si['recall']:.4f} | {si['f1']:.4f} "
            f"| {scores['tc']['f1']:.4f} | {scores['flc']['f1']:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
