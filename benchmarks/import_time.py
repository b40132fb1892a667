"""How long `import propscope` takes, the way a notebook or script pays for it.

    python benchmarks/import_time.py [--runs 20]

Each run is a fresh interpreter that imports propscope and reports its own import time; the
median and the worst run are printed with the same measure for `import json` as a reference in
the same run (interpreter start-up is not counted in either).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CODE = "import time; started = time.perf_counter(); import {module}; print(time.perf_counter() - started)"


def seconds(module: str) -> float:
    output = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module)], capture_output=True, text=True, check=True
    )
    return float(output.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    runs = {module: [seconds(module) for _ in range(args.runs)] for module in ("propscope", "json")}
    print(
        json.dumps(
            {
                module: {"median_seconds": round(statistics.median(times), 4), "max_seconds": round(max(times), 4)}
                for module, times in runs.items()
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
