"""What a path holds, read before anything heavier is imported: a regular file or not (in words), a
file written by `tall-evidence build` or not. The command line asks these to refuse a setting in one
line; the loader asks them again as it opens the file."""

import contextlib
import sqlite3
import stat
from pathlib import Path

# The table every built file records its build in (api.loading.build writes it).
BUILD_TABLE = "dataset_build"


def holds_a_build(path: Path) -> bool:
    """Whether the SQLite file at path was written by `build` (it has a build record): such a file is
    only ever served read-only, never loaded into."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            found = connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (BUILD_TABLE,)).fetchone()
    except sqlite3.DatabaseError:  # not a database at all: the load will say so
        return False
    return found is not None


def unexaminable(path: Path) -> str | None:
    """Why path itself cannot even be looked at, in words (a name too long, a loop of links on the way
    to it, a NUL character); None when it can, whether or not something is there (a link at the end,
    followed or not, is the caller's to judge)."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError:  # a NUL, from a percent-decoded URL
        return "the path holds a NUL character"
    return None


def not_a_file(path: Path) -> str | None:
    """What the path is when it is not a regular file (following links), in words; None when it is one."""
    return _what_else(path, directory=False)


def not_a_directory(path: Path) -> str | None:
    """What the path is when it is not a directory (following links), in words; None when it is one."""
    return _what_else(path, directory=True)


def _what_else(path: Path, *, directory: bool) -> str | None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a dangling symbolic link" if path.is_symlink() else f"no such {'directory' if directory else 'file'}"
    except OSError as exc:  # a loop of links among them
        return f"cannot be read ({exc.strerror or exc})"
    if directory:
        return None if stat.S_ISDIR(mode) else f"{kind_of(mode)}, not a directory"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    return f"{kind_of(mode)}, not a regular file"


def kind_of(mode: int) -> str:
    """What kind of file a stat mode says, in words ('a FIFO (named pipe)')."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((words for test, words in kinds if test(mode)), "a special file")
