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
from propscope.detect.tuning import DevTuner  # noqa: E402
from propscope.detect.windows import load_tokenizer  # noqa: E402
from propscope.formats.annotated import span_corpus  # noqa: E402
from propscope.train.base import resolve_base  # noqa: E402
from propscope.train.loop import RESUME_FILE, TrainConfig, epoch_scores  # noqa: E402
from propscope.train.model import PropagandaTagger  # noqa: E402


def ingredients(recipe: str) -> list[tuple[Path, bool]]:
    """RUN[:last][+RUN[:last]...] as (run folder, whether its last epoch rather than its best)."""
    return [(Path(folder), which == "last") for folder, _, which in (i.partition(":") for i in recipe.split("+"))]


def weights(folder: Path, last: bool) -> dict[str, torch.Tensor]:
    """The run's best epoch, or the epoch it ended on."""
    if last:
        state: dict[str, torch.Tensor] = torch.load(folder / RESUME_FILE, weights_only=False)["model"]
        return state
    return dict(torch.load(folder / "checkpoint.pt", weights_only=True))


def soup(recipe: str) -> dict[str, torch.Tensor]:
    """The mean of the ingredients' weights (integer buffers, such as position ids, taken as they are)."""
    states = [weights(folder, last) for folder, last in ingredients(recipe)]
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
    first = ingredients(args.soups[0])[0][0]
    training = json.loads((first / "propscope-model.json").read_text(encoding="utf-8"))["training"]
    settings = Settings()
    config = TrainConfig.from_stored(
        training, dev_dir=str(settings.dev_folder(training.get("scheme", techniques.DEFAULT_SCHEME)))
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
        shown = " + ".join(folder.name + (":last" if last else "") for folder, last in ingredients(recipe))
        for window, stride in windows:
            reading = replace(config, window_tokens=window, inference_stride=stride)
            f1 = epoch_scores(model, tokenizer, reading, dev, tuner).f1()
            figures = " | ".join(f"{f1[k]:.4f}" for k in ("si", "tc", "flc", "sentence"))
            print(f"| {shown} | {window} / {stride} | {figures} |", flush=True)


if __name__ == "__main__":
    main()
