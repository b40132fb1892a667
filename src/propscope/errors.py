"""The one exception type users see.

Every problem with user input is raised as `InputError` with a sentence that names the input
and says what to do, so the CLI, the server and scripts can show it as it is, without a
traceback.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """An input could not be used; the message is written for the person who supplied it."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line
