"""The machine a benchmark ran on, in one line.

The int8 encoder's speed depends on the CPU's vector instructions far more than on its clock:
AVX-512 VNNI multiplies int8 in one instruction where AVX2 alone takes several, and two 2-core
AMD EPYC machines of this project's size read the same model at 1.6 to 2.2 (AVX2 only) and 3.6
to 4.2 articles/s (AVX-512 VNNI). A speed figure is only comparable with the CPU model and its
int8 instructions beside it.
"""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: the instruction sets ONNX Runtime's int8 kernels use, fastest first
INT8_INSTRUCTIONS = ("avx512_vnni", "avx_vnni", "avx512bw", "avx2")


def cpu() -> tuple[str, str]:
    """The CPU's model name and the fastest of `INT8_INSTRUCTIONS` it has ("unknown" off Linux)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown", "unknown"
    fields = (line.split(":", 1) for line in info.splitlines() if ":" in line)
    named = {key.strip(): value.strip() for key, value in fields}
    flags = set(named.get("flags", "").split())
    best = next((name for name in INT8_INSTRUCTIONS if name in flags), "none of " + "/".join(INT8_INSTRUCTIONS))
    return named.get("model name", "unknown"), best


def describe() -> str:
    """E.g. "x86_64, AMD EPYC (avx512_vnni), 2 cores, CPython 3.11.7, onnxruntime 1.32.0"."""
    model, instructions = cpu()
    try:
        runtime = f", onnxruntime {version('onnxruntime')}"
    except PackageNotFoundError:
        runtime = ""
    return (
        f"{platform.machine()}, {model} ({instructions}), {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}{runtime}"
    )
