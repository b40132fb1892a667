"""Reading text files strictly and writing output files atomically.

Offsets must be code points of the text exactly as stored, so files are decoded as UTF-8
without newline translation. Output is written to a temporary file and renamed, so a crash or
Ctrl-C never leaves a half-written result where a complete one is expected.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from propscope.errors import InputError


def read_text_file(path: Path) -> str:
    """Read `path` as UTF-8 with newlines kept as they are, refusing binary and other encodings."""
    if not path.exists():
        raise InputError("no such file or folder; check the path", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected a text file", path=path)
    data = path.read_bytes()
    return decode_text(data, path)


def decode_text(data: bytes, name: str | Path) -> str:
    """Decode bytes as UTF-8, with an error that says what the bytes look like instead."""
    if b"\x00" in data:
        raise InputError("looks like a binary file (it contains NUL bytes); give a UTF-8 text file", path=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"is not UTF-8 text (invalid byte at position {error.start}); re-save it as UTF-8",
            path=name,
        ) from None


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see either the old file or the whole new one.

    The file gets the permissions any new file gets (0666 less the umask), as `open()` would
    give it: a report written to share must be readable by others where the umask allows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
