"""How the commands that make models log their progress: every line with its time, on the
console and in the log files that stay beside what they make, so a run of hours can be read
back (or followed with `tail -f`) after the terminal is gone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(message)s"


def log_progress(*files: Path) -> None:
    """Progress on the console, and in each of `files` too, for the rest of the command."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    handlers += [logging.FileHandler(path, encoding="utf-8") for path in files]
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, handlers=handlers)


@contextmanager
def logged_to(path: Path) -> Iterator[None]:
    """Progress logged to `path` too while the block runs: each of a recipe's trainings keeps its
    own train.log, as `propscope train` writes it."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
