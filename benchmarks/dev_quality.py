"""Quality of one or more model folders on their dev split, with the official measures.

    python benchmarks/dev_quality.py [MODEL_DIR ...] [--limit N]

For each model (default: the shipped SemEval-2020 one) prints SI, TC (on gold spans), FLC and
sentence F1 and TC/FLC F1 per technique, as Markdown tables for docs/BENCHMARKS.md; a
SemEval-2023 model is scored on its English dev articles, with subtasks 1-3 as well. The
numbers are the ones `propscope evaluate --split dev` prints, computed by the same code. Then,
for each model, what a reader sees on the shared seed article: the true findings
`tests/test_shipped_model.py` requires, the lone words it forbids, and every passage of a
single word (the cells of `passage_check_grid.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from passage_check_grid import seed_article, seed_article_cells  # noqa: E402  (benchmarks/passage_check_grid.py)

from propscope import techniques  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.model import Detector, DetectorConfig  # noqa: E402
from propscope.detect.runtime import ModelRuntime, default_model_dir  # noqa: E402
from propscope.evaluation import evaluate_model  # noqa: E402
from propscope.train.counts import folder_counts  # noqa: E402


def dev_scores(model: str, limit: int | None) -> tuple[str, dict[str, Any], dict[str, int], str]:
    """The model's scheme, its dev evaluation, the dev spans per technique (a technique
    without one has no F1 worth showing: the scorer's 0/0 reads as 1.0) and its seed-article cells."""
    runtime = ModelRuntime.load(Path(model))
    folder = Settings().dev_folder(runtime.scheme)
    scores = evaluate_model(runtime, folder, split="dev", limit=limit).to_dict()
    counts = folder_counts(folder, runtime.scheme, "dev", limit)["per_technique"]
    return runtime.scheme, scores, counts, seed_cells(runtime, Path(model))


def seed_cells(runtime: ModelRuntime, model: Path) -> str:
    """The model's findings on the seed article as table cells: true findings kept, forbidden
    words flagged alone, and the text of every one-word passage."""
    seed = seed_article()
    spans = Detector(runtime, DetectorConfig(model=model)).analyze(seed).spans
    one_word = sorted({seed[s.start : s.end] for s in spans if len(seed[s.start : s.end].split()) == 1})
    return f"{seed_article_cells(spans, seed)} | {len(spans)} | {', '.join(one_word) or 'none'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[str(default_model_dir())])
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    results = {Path(model).name: dev_scores(model, args.limit) for model in args.models}
    print("| model | SI P | SI R | SI F1 | TC micro-F1 | FLC F1 | sentence F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (_, r, _, _) in results.items():
        si = r["si"]
        print(
            f"| {name} | {si['precision']:.4f} | {si['recall']:.4f} | {si['f1']:.4f} | {r['tc']['f1']:.4f} "
            f"| {r['flc']['f1']:.4f} | {r['sentence']['f1']:.4f} |"
        )
    for name, (scheme, r, dev_spans, _) in results.items():
        print(f"\n{name} per technique:\n\n| technique | dev spans | TC F1 | FLC F1 |\n| --- | --- | --- | --- |")
        for technique in techniques.scheme(scheme).names:
            count = dev_spans.get(technique, 0)
            tc, flc = r["tc"]["per_technique"][technique], r["flc"]["per_technique"][technique]
            shown = f"{tc:.4f} | {flc:.4f}" if count else "n/a | n/a"
            print(f"| {technique} | {count} | {shown} |")
        for key in ("subtask1_genre", "subtask2_frames", "subtask3_paragraphs"):
            if key in r:
                print(f"\n{key}: micro-F1 {r[key]['micro_f1']:.4f}, macro-F1 {r[key]['macro_f1']:.4f}")
        if "subtask1_genre" in r:
            genre = r["subtask1_genre"]
            print(f"genre macro-F1 over opinion and reporting: {genre['macro_f1_opinion_reporting']:.4f}")
            print("genre recall: " + ", ".join(f"{label} {value:.4f}" for label, value in genre["recall"].items()))
    print("\nOn the seed article (`../shared/examples/seed-article.txt`):\n")
    print("| model | true findings kept | forbidden words flagged alone | passages | one-word passages |")
    print("| --- | --- | --- | --- | --- |")
    for name, (_, _, _, seed) in results.items():
        print(f"| {name} | {seed} |")


if __name__ == "__main__":
    main()
