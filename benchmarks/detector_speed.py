"""Detector speed and memory on PTC dev, against serial passage reading and torch in the same run.

    python benchmarks/detector_speed.py [--model DIR] [--torch-checkpoint runs/x/checkpoint.pt]

Each engine runs in its own fresh process, one after the other, so peak memory is its own and
the two do not compete for the 2 cores:
- onnx: `Detector.load()` then `analyze_many` over all dev articles (everything a user waits
  for: tokenizing, windows, encoder, decoding, sentence flags);
- onnx-serial: the same, but a marked model's passages read one after the other on the
  all-cores session instead of side by side on one core each (how propscope read them until
  2026-12-02); `spans_sha256` shows whether the two found the same spans with the same scores;
- onnx-untriaged: the same as onnx, but a model with a passage triage reads every candidate its
  peak leaves in reach, as models did before the triage (2026-12-03);
- onnx-all-blas-threads: the same as onnx, but numpy's BLAS keeps its threads while passages
  are judged, as before 2026-12-03 (`propscope.detect.blas`);
- onnx-articles-in-turn: the same as onnx, but `analyze_many` takes the articles one after the
  other, each on all cores, instead of side by side, one core each (as before 2026-12-03);
- onnx-before-2026-12-03: the last three at once;
- onnx-reference: the same as onnx, but with the propscope code of another checkout
  (`--reference-src`, its `src` folder, e.g. from `git worktree add /tmp/ref <commit>`), so a
  change with no switch of its own is measured against the code before it, in the same run;
- torch: the same encoder architecture and windows in PyTorch (eager, fp32), forward passes
  only, with the trained weights when a checkpoint is given (speed does not depend on them).
Prints one JSON object; docs/BENCHMARKS.md records it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from machine import describe  # noqa: E402  (benchmarks/machine.py)


def dev_texts(ptc_dir: Path) -> list[str]:
    from propscope.formats.ptc import read_ptc_folder

    corpus = read_ptc_folder(ptc_dir / "dev")
    return [corpus.articles[a].text for a in sorted(corpus.articles)]


#: what each ONNX engine turns off: reading passages side by side, the triage, the BLAS limit,
#: analysing articles side by side
ONNX_ENGINES: dict[str, frozenset[str]] = {
    "onnx": frozenset(),
    "onnx-serial": frozenset({"side_by_side"}),
    "onnx-untriaged": frozenset({"triage"}),
    "onnx-all-blas-threads": frozenset({"blas_limit"}),
    "onnx-articles-in-turn": frozenset({"articles_side_by_side"}),
    "onnx-before-2026-12-03": frozenset({"triage", "blas_limit", "articles_side_by_side"}),
}


def run_onnx(model: str | None, ptc_dir: Path, off: frozenset[str]) -> dict[str, float | str]:
    import contextlib
    from dataclasses import replace

    from propscope.detect import runtime as runtime_module
    from propscope.detect.model import Detector, DetectorConfig
    from propscope.detect.runtime import ModelRuntime, default_model_dir
    from propscope.detect.windows import load_tokenizer, tokenize

    if "blas_limit" in off:
        runtime_module.one_blas_thread = contextlib.nullcontext  # type: ignore[attr-defined]
    if "articles_side_by_side" in off:
        ModelRuntime.one_core = lambda self: self  # type: ignore[method-assign]
    texts = dev_texts(ptc_dir)
    started = time.perf_counter()
    runtime = ModelRuntime.load(model)  # what Detector.load(model) loads
    if "side_by_side" in off:
        runtime = replace(runtime, passage_session=None)
    if "triage" in off:
        runtime = replace(runtime, triage=None)
    detector = Detector(runtime, DetectorConfig(model=Path(model) if model else None))
    load_seconds = time.perf_counter() - started
    tokenizer = load_tokenizer(str(Path(model or default_model_dir()) / "tokenizer.json"))
    tokens = sum(len(tokenize(tokenizer, t)) for t in texts)
    started = time.perf_counter()
    spans = [span for analysis in detector.analyze_many(texts) for span in analysis.spans]
    seconds = time.perf_counter() - started
    return {
        "load_seconds": round(load_seconds, 3),
        "articles": len(texts),
        "tokens": tokens,
        "spans": len(spans),
        "spans_sha256": hashlib.sha256(repr(spans).encode()).hexdigest()[:16],
        "seconds": round(seconds, 2),
        "articles_per_second": round(len(texts) / seconds, 2),
        "tokens_per_second": round(tokens / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def run_torch(model: str | None, checkpoint: str | None, ptc_dir: Path) -> dict[str, float]:
    import torch

    from propscope.detect.runtime import ModelRuntime
    from propscope.detect.windows import plan_windows, special_ids, tokenize, window_batch
    from propscope.train.base import resolve_base
    from propscope.train.model import PropagandaTagger

    torch.set_num_threads(2)
    runtime = ModelRuntime.load(model, spin=False)  # tokenizer and window settings only
    window, stride = int(runtime.description["window_tokens"]), int(runtime.description["stride"])
    specials = special_ids(runtime.tokenizer)
    tagger = PropagandaTagger(resolve_base("minilm"), len(runtime.head.names)).eval()
    if checkpoint:
        tagger.load_state_dict(torch.load(checkpoint))
    texts = dev_texts(ptc_dir)
    tokens = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for text in texts:
            tokenized = tokenize(runtime.tokenizer, text)
            tokens += len(tokenized)
            plan = plan_windows(len(tokenized), window, stride)
            for first in range(0, len(plan), 16):
                ids, mask = window_batch(tokenized, plan[first : first + 16], *specials)
                tagger(torch.from_numpy(ids), torch.from_numpy(mask))
    seconds = time.perf_counter() - started
    return {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_second": round(tokens / seconds)}


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median speed (the lower middle one for an even count), with every run's speed."""
    key = "articles_per_second" if "articles_per_second" in runs[0] else "tokens_per_second"
    ordered = sorted(runs, key=lambda run: run[key])
    return ordered[(len(ordered) - 1) // 2] | ({f"{key}_runs": [run[key] for run in runs]} if len(runs) > 1 else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--torch-checkpoint", default=None)
    parser.add_argument("--ptc-dir", default=str(REPO.parent / "shared" / "data" / "ptc-semeval2020"))
    engines = [*ONNX_ENGINES, "onnx-reference", "torch"]
    parser.add_argument("--engine", choices=engines, help=argparse.SUPPRESS)
    parser.add_argument("--src", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--reference-src",
        default=None,
        help="the src folder of another propscope checkout, which the onnx-reference engine runs",
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=engines,
        default=["onnx", "onnx-serial", "torch"],
        help="which engines to measure",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the engines in turn this many times; each engine reports its median run (by articles/s or "
        "tokens/s) with every run's figure, so a ratio is not one engine's luck with this shared host",
    )
    args = parser.parse_args()
    if "onnx-reference" in args.engines and not args.reference_src:
        parser.error("the onnx-reference engine needs --reference-src")
    if args.src:
        sys.path.insert(0, args.src)
    ptc_dir = Path(args.ptc_dir)
    if args.engine in ONNX_ENGINES:
        print(json.dumps(run_onnx(args.model, ptc_dir, ONNX_ENGINES[args.engine])))
        return
    if args.engine == "torch":
        print(json.dumps(run_torch(args.model, args.torch_checkpoint, ptc_dir)))
        return
    runs: dict[str, list[dict[str, Any]]] = {engine: [] for engine in args.engines}
    for _ in range(args.rounds):
        for engine in args.engines:
            command = [sys.executable, __file__, "--ptc-dir", str(ptc_dir)]
            reference = engine == "onnx-reference"
            command += ["--engine", "onnx", "--src", args.reference_src] if reference else ["--engine", engine]
            command += ["--model", args.model] if args.model else []
            command += ["--torch-checkpoint", args.torch_checkpoint] if args.torch_checkpoint else []
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            runs[engine].append(json.loads(output.strip().splitlines()[-1]))
    results: dict[str, Any] = {engine: median_run(engine_runs) for engine, engine_runs in runs.items()}
    if "torch" in results and "onnx" in results:
        results["onnx_vs_torch_tokens_per_second"] = round(
            results["onnx"]["tokens_per_second"] / results["torch"]["tokens_per_second"], 2
        )
    for engine in [*ONNX_ENGINES, "onnx-reference"]:
        if engine != "onnx" and engine in results and "onnx" in results:
            results[f"onnx_vs_{engine.replace('-', '_')}_articles_per_second"] = round(
                results["onnx"]["articles_per_second"] / results[engine]["articles_per_second"], 2
            )
    results["machine"] = describe()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
