"""The `propscope` command line: a thin shell over the library, one module per command group.

`analyse` (analyze, report, techniques), `evaluate` (evaluate, data stats), `corpus` (batch,
stats, export, dashboard), `review` (label-studio config, import-annotations), `training`
(train, ship) and `serving` (serve). Each command reads its options, calls the library and
renders; the rules every command follows are in `common`.
"""

from propscope.cli.app import app, main

__all__ = ["app", "main"]
