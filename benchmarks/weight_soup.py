"""Do averaged weights (a "weight soup") or other inference windows make a better tagger?

    python benchmarks/weight_soup.py RUN[:last][+RUN[:last]...] [...] [--windows 254/192,510/448]

Each RUN is a folder written by `propscope train` from the same base; RUN is its best epoch
(checkpoint.pt), RUN:last the epoch it ended on (resume.pt). Joining several with + averages
their weights, which costs nothing at inference, unlike averaging their outputs
(`benchmarks/seed_ensemble.py`). Every line is scored on dev exactly as `propscope train` scores
an epoch (fp32 torch, the run's pooled span head, the best of a few plain span thresholds), so
it compares with the runs' own logged epochs. `--windows` scores each at other inference window
sizes and strides (word pieces), to ask whether reading more context than training did helps.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from propscope import techniques  # noqa: E402
from propscope.config import Settings  # noqa: E402
from propscope.detect.predict import Thresholds  # noqa: E402
from propscope.detect.tuning import DevTuner, RememberingClassifier  # noqa: E402
from propscope.detect.windows import load_tokenizer  # noqa: E402
from propscope.formats.annotated import span_corpus  # noqa: E402
from propscope.train.base import resolve_base  # noqa: E402
from propscope.train.loop import (  # noqa: E402
    RESUME_FILE,
    SELECTION_THRESHOLDS,
    TrainConfig,
    encode_with_torch,
    network_classifier,
)
from propscope.train.model import PropagandaTagger  # noqa: E402


def weights(ingredient: str) -> dict[str, torch.Tensor]:
    """RUN's best epoch, or with ':last' the epoch it ended on."""
    folder, _, which = ingredient.partition(":")
    if which == "last":
        state: dict[str, torch.Tensor] = torch.load(Path(folder) / RESUME_FILE, weights_only=False)["model"]
        return state
    return dict(torch.load(Path(folder) / "checkpoint.pt", weights_only=True))


def soup(recipe: str) -> dict[str, torch.Tensor]:
    """The mean of the ingredients' weights (integer buffers, such as position ids, taken as they are)."""
    states = [weights(ingredient) for ingredient in recipe.split("+")]
    return {
        name: torch.stack([s[name].float() for s in states]).mean(0) if value.is_floating_point() else value
        for name, value in states[0].items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("soups", nargs="+", help="RUN[:last][+RUN[:last]...]")
    parser.add_argument("--windows", default="", help="comma-separated WINDOW/STRIDE pairs (default: the runs' own)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    first = Path(args.soups[0].split("+")[0].partition(":")[0])
    training = json.loads((first / "propscope-model.json").read_text(encoding="utf-8"))["training"]
    settings = Settings()
    config = TrainConfig(
        **{k: v for k, v in training.items() if k != "base_sha256"}
        | {"dev_dir": str(settings.dev_folder(training.get("scheme", techniques.DEFAULT_SCHEME)))}
    )
    names = techniques.scheme(config.scheme).names
    base = resolve_base(config.base)
    tokenizer = load_tokenizer(str(Path(base) / "tokenizer.json"))
    dev = span_corpus(Path(config.dev_dir), config.scheme, "dev")
    tuner = DevTuner(dev, names)
    model = PropagandaTagger(base, len(names))
    windows = [tuple(map(int, pair.split("/"))) for pair in args.windows.split(",") if pair] or [
        (config.window_tokens, config.inference_stride)
    ]
    print("| weights | window / stride | SI F1 | TC F1 | FLC F1 | sentence F1 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for recipe in args.soups:
        model.load_state_dict(soup(recipe))
        model.eval()
        for window, stride in windows:
            reading = replace(config, window_tokens=window, inference_stride=stride)
            encoded = encode_with_torch(model, dev, tokenizer, reading)
            classifier = RememberingClassifier(network_classifier(model, tokenizer, reading))
            f1 = max(
                (
                    tuner.score(encoded, classifier, Thresholds(span=t, second_technique=1.1)).f1()
                    for t in SELECTION_THRESHOLDS
                ),
                key=lambda scores: scores["si"],
            )
            shown = " + ".join(
                Path(i.partition(":")[0]).name + (":last" if i.endswith(":last") else "") for i in recipe.split("+")
            )
            figures = " | ".join(f"{f1[k]:.4f}" for k in ("si", "tc", "flc", "sentence"))
            print(f"| {shown} | {window} / {stride} | {figures} |", flush=True)


if __name__ == "__main__":
    main()
