"""Quality of one or more model folders on PTC dev, with the official measures.

    python benchmarks/dev_quality.py [MODEL_DIR ...] [--limit N]

For each model (default: the shipped one) prints SI, TC (on gold spans), FLC and sentence F1
and TC F1 per technique, as a Markdown table for docs/BENCHMARKS.md. The numbers are the ones
`propscope evaluate --split dev` prints, computed by the same code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope.detect.runtime import default_model_dir  # noqa: E402
from propscope.evaluation import evaluate_model  # noqa: E402
from propscope.techniques import TECHNIQUE_NAMES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[str(default_model_dir())])
    parser.add_argument("--ptc-dir", default=str(REPO.parent / "shared" / "data" / "ptc-semeval2020"))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    results = {}
    for model in args.models:
        results[Path(model).name] = evaluate_model(Path(model), Path(args.ptc_dir) / "dev", limit=args.limit).to_dict()
    print("| model | SI P | SI R | SI F1 | TC micro-F1 | FLC F1 | sentence F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        si = r["si"]
        print(
            f"| {name} | {si['precision']:.4f} | {si['recall']:.4f} | {si['f1']:.4f} | {r['tc']['f1']:.4f} "
            f"| {r['flc']['f1']:.4f} | {r['sentence']['f1']:.4f} |"
        )
    print()
    print("| technique | " + " | ".join(f"{name} TC F1 | {name} FLC F1" for name in results) + " |")
    print("| --- |" + " --- | --- |" * len(results))
    for technique in TECHNIQUE_NAMES:
        cells = [
            f"{r['tc']['per_technique'][technique]:.4f} | {r['flc']['per_technique'][technique]:.4f}"
            for r in results.values()
        ]
        print(f"| {technique} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
