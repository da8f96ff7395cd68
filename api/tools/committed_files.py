"""Committed, generated files (a schema, the spans file, a docs table): writing one, and whether it
still matches what would be generated now (the `--check` modes of the commands that write them).

The committed file is read only when it is a regular file, and never more of it than the text it
is compared with: a FIFO in its place would block the read, a directory end in a traceback, and a
huge file be read whole, where each is simply not the file expected.
"""

import os
from pathlib import Path

from api.loading.file_checks import not_a_file


def write_generated(path: Path, text: str) -> str | None:
    """Write text to path; why not, in words, when nothing was written. Only a regular file or a new
    path is written: opening a FIFO to write waits for a reader for ever, a dangling link would be
    written through (creating its target wherever it points), and a directory ends in a traceback."""
    if os.path.lexists(path) and (kind := not_a_file(path)) is not None:
        return f"{kind}; name a regular file or a new path"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"cannot be written ({exc.strerror or exc})"
    return None


def staleness(path: Path, text: str) -> str | None:
    """Why the file at path is not exactly text (in words), or None when it is."""
    if (kind := not_a_file(path)) is not None:
        return "is missing" if kind == "no such file" else f"is {kind}"
    expected = text.encode("utf-8")
    try:
        with path.open("rb") as file:
            committed = file.read(len(expected) + 1)  # one byte more tells a longer file apart
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None if committed == expected else "is stale"
