"""Reading fixture files: every file parsed and structurally validated, every problem collected.

Nothing here touches the database. A FixtureError carries every issue found, each naming
the file and the field path, so a curator fixes them all in one pass.
"""

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from api.errors import StartupRefusal
from api.loading.file_checks import not_a_directory
from api.loading.yaml_parser import load_fixture_yaml
from models.fixture import ConflictsFile, EpidemiologyFile, SourcesFile, StudyFile
from models.terminology import Terminology

if TYPE_CHECKING:
    from api.provenance.spans import Span
    from models.coverage import CoverageFile

STUDIES_DIR = "studies"
CONFLICTS_FILE = "conflicts.yaml"
EPIDEMIOLOGY_FILE = "epidemiology.yaml"
SCHEMA_DIR = "schema"

M = TypeVar("M", bound=BaseModel)

# libyaml's safe loader parses several times faster than the pure-Python one and builds the
# same values; the Python one remains for installs without libyaml.


@dataclass(frozen=True)
class FixtureIssue:
    """One problem in one fixture file, at one field path."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(file)'}: {self.message}"


# The most problems listed for one file, and in one message: a file of 600,000 repeated faults (a 1.8 MB
# list of bad values) was 600,000 lines and 480 MB (session 12's probe, B9). The count is always given.
MAX_FILE_PROBLEMS = 20
MAX_LISTED_PROBLEMS = 200


def file_issues(label: str, problems: list[tuple[str, str]]) -> list[FixtureIssue]:
    """A file's (path, message) problems as issues, at most MAX_FILE_PROBLEMS, then how many more."""
    issues = [FixtureIssue(label, path, message) for path, message in problems[:MAX_FILE_PROBLEMS]]
    if len(problems) > MAX_FILE_PROBLEMS:
        left = len(problems) - MAX_FILE_PROBLEMS
        issues.append(FixtureIssue(label, "", f"{left} more problem(s) in this file not listed"))
    return issues


class FixtureError(StartupRefusal):
    """Fixtures that must not be served. Carries every issue found (at most MAX_FILE_PROBLEMS a file)."""

    def __init__(self, issues: list[FixtureIssue]) -> None:
        self.issues = issues
        listed = [f"  {issue}" for issue in issues[:MAX_LISTED_PROBLEMS]]
        if len(issues) > MAX_LISTED_PROBLEMS:
            listed.append(f"  ({len(issues) - MAX_LISTED_PROBLEMS} more problem(s) not listed)")
        # Kept apart: the command line prints each as one line, escaping what would split it.
        self.lines = [f"{len(issues)} fixture problem(s):", *listed]
        super().__init__("\n".join(self.lines))


@dataclass
class FixtureSet:
    """Every fixture file, parsed. Paths are shown relative to their root in messages."""

    sources: SourcesFile
    sources_file: str
    studies: dict[str, StudyFile] = field(default_factory=dict)  # file label -> study
    conflicts: ConflictsFile = field(default_factory=ConflictsFile)
    conflicts_file: str = CONFLICTS_FILE
    epidemiology: EpidemiologyFile = field(default_factory=EpidemiologyFile)
    epidemiology_file: str = EPIDEMIOLOGY_FILE
    version: str = ""
    terminology: Terminology = field(default_factory=Terminology)
    # The spans served with the figures (api.provenance.spans.Span by record id), once read.
    spans: "dict[str, Span] | None" = None
    # The coverage files (api.loading.coverage_files), by document id, once read.
    coverage: "dict[str, CoverageFile] | None" = None


def format_loc(loc: tuple[str | int, ...]) -> str:
    """('outcomes', 3, 'numerator') -> 'outcomes[3].numerator'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def regular_file_bytes(path: Path, label: str, *, max_bytes: int) -> bytes:
    """A regular file's bytes, at most max_bytes; FixtureError naming label otherwise.

    Checked by stat before opening: opening a FIFO blocks, and a device may never end.
    """
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise FixtureError([FixtureIssue(label, "", "is not a regular file")])
        if status.st_size > max_bytes:
            raise FixtureError(
                [FixtureIssue(label, "", f"file is {status.st_size} bytes, over the {max_bytes}-byte limit")]
            )
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)  # a file growing since the stat is still read to the bound only
    except OSError as exc:
        raise FixtureError([FixtureIssue(label, "", f"cannot be read: {exc.strerror}")]) from None
    if len(raw) > max_bytes:
        raise FixtureError([FixtureIssue(label, "", f"file is over the {max_bytes}-byte limit")])
    return raw


def utf8_text(raw: bytes, label: str) -> str:
    """raw decoded as UTF-8; FixtureError naming label and the first bad byte otherwise."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FixtureError([FixtureIssue(label, "", f"is not UTF-8 (byte {exc.start})")]) from None


class _Reader:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.issues: list[FixtureIssue] = []
        self.digest = hashlib.sha256()

    def parse(self, path: Path, label: str, model: type[M]) -> M | None:
        data = self._read_yaml(path, label)
        if data is None:
            return None
        try:
            # Round-trip through JSON so validation is strict (no "yes" -> True) yet
            # enums still accept their string values; YAML dates become ISO strings.
            return model.model_validate_json(json.dumps(data, default=str), strict=True)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            self.issues += file_issues(label, [(format_loc(tuple(e["loc"])), e["msg"]) for e in errors])
            return None

    def _read_yaml(self, path: Path, label: str) -> dict[str, Any] | None:
        try:
            raw = regular_file_bytes(path, label, max_bytes=self.max_bytes)
        except FixtureError as exc:
            self.issues += exc.issues
            return None
        # A file's name as its bytes: one that is not UTF-8 ('\xff.yaml') was a traceback (session 12's probe, B3).
        self.digest.update(os.fsencode(label) + b"\0" + raw + b"\0")
        try:
            text = utf8_text(raw, label)
        except FixtureError as exc:
            self.issues += exc.issues
            return None
        try:
            data, problems = load_fixture_yaml(text)
        except yaml.YAMLError as exc:
            self.issues.append(FixtureIssue(label, "", f"YAML syntax error at {_yaml_error_words(exc, text)}"))
            return None
        if problems:
            # Reported alone: the field checks would only repeat them or, for aliases, expand them.
            self.issues += file_issues(label, [(format_loc(loc), message) for loc, message in problems])
            return None
        if data is None:
            self.issues.append(FixtureIssue(label, "", "file is empty"))
            return None
        if not isinstance(data, dict):
            self.issues.append(FixtureIssue(label, "", f"top level must be a mapping, found {type(data).__name__}"))
            return None
        return data


def _yaml_error_words(exc: yaml.YAMLError, text: str) -> str:
    """Where and what, on one line. The reader's own errors (a character YAML does not allow, such as
    NUL) carry a character offset, not a mark, and two lines of text: given as a line and column too."""
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        return f"line {line}, column {column}: character #x{exc.character:04x} is not allowed in YAML"
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).split())


def fixture_paths(fixtures_dir: Path) -> list[tuple[str, Path]]:
    """(label relative to fixtures_dir, path) of every YAML file the loader reads, in its order:
    the study files (hidden ones left out), then the optional conflicts and epidemiology files."""
    studies_dir = fixtures_dir / STUDIES_DIR
    found = [
        (f"{STUDIES_DIR}/{path.name}", path)
        for path in (sorted(studies_dir.iterdir()) if studies_dir.is_dir() else [])
        if not path.name.startswith(".") and path.suffix == ".yaml"
    ]
    for name in (CONFLICTS_FILE, EPIDEMIOLOGY_FILE):
        if (fixtures_dir / name).exists():
            found.append((name, fixtures_dir / name))
    return found


def read_yaml_data(path: Path, label: str, *, max_bytes: int) -> dict[str, Any]:
    """One fixture file's YAML under the loader's guards, as plain data; FixtureError naming label otherwise."""
    reader = _Reader(max_bytes)
    data = reader._read_yaml(path, label)
    if data is None:
        raise FixtureError(reader.issues)
    return data


def read_model_file(path: Path, label: str, model: type[M], *, max_bytes: int) -> M:
    """One YAML file read under the fixtures' guards (a regular file, at most max_bytes, UTF-8,
    no aliases or repeated keys) and validated as model; FixtureError naming label otherwise."""
    reader = _Reader(max_bytes)
    parsed = reader.parse(path, label, model)
    if parsed is None:
        raise FixtureError(reader.issues)
    return parsed


def read_fixture_set(fixtures_dir: Path, sources_registry: Path, max_bytes: int) -> FixtureSet:
    """Parse every fixture file and the seed registry; raise FixtureError listing every problem."""
    reader = _Reader(max_bytes)
    sources_label = f"seeds/{sources_registry.name}"
    sources = reader.parse(sources_registry, sources_label, SourcesFile)

    studies: dict[str, StudyFile] = {}
    studies_dir = fixtures_dir / STUDIES_DIR
    # What is there instead of a directory: a FIFO or a loop of links was called "missing" (session 13's probe, FB3).
    if (what := not_a_directory(studies_dir)) is not None:
        missing = what == "no such directory"
        reader.issues.append(FixtureIssue(f"fixtures/{STUDIES_DIR}", "", "directory is missing" if missing else what))
    else:
        for path in sorted(studies_dir.iterdir()):
            label = f"fixtures/{STUDIES_DIR}/{path.name}"
            if path.name.startswith("."):
                continue
            if path.suffix != ".yaml":
                reader.issues.append(FixtureIssue(label, "", "not a study fixture: only *.yaml files belong here"))
                continue
            if not path.is_file():
                problem = "not a regular file (a directory, FIFO, device or broken link): a study is one *.yaml file"
                reader.issues.append(FixtureIssue(label, "", problem))
                continue
            study = reader.parse(path, label, StudyFile)
            if study is not None:
                studies[label] = study

    optional: dict[str, Any] = {}
    for name, model in ((CONFLICTS_FILE, ConflictsFile), (EPIDEMIOLOGY_FILE, EpidemiologyFile)):
        path = fixtures_dir / name
        # A dangling or looping symbolic link is a broken file, not an absent one.
        if path.exists() or path.is_symlink():
            optional[name] = reader.parse(path, f"fixtures/{name}", model)

    unexpected = (
        {p.name for p in fixtures_dir.iterdir() if not p.name.startswith(".")}
        - {STUDIES_DIR, CONFLICTS_FILE, EPIDEMIOLOGY_FILE, SCHEMA_DIR, "README.md"}
        if fixtures_dir.is_dir()
        else set()
    )
    for name in sorted(unexpected):
        reader.issues.append(FixtureIssue(f"fixtures/{name}", "", "not a fixture file this service knows"))

    if reader.issues or sources is None:
        raise FixtureError(reader.issues)
    return FixtureSet(
        sources=sources,
        sources_file=sources_label,
        studies=studies,
        conflicts=optional.get(CONFLICTS_FILE) or ConflictsFile(),
        conflicts_file=f"fixtures/{CONFLICTS_FILE}",
        epidemiology=optional.get(EPIDEMIOLOGY_FILE) or EpidemiologyFile(),
        epidemiology_file=f"fixtures/{EPIDEMIOLOGY_FILE}",
        version=reader.digest.hexdigest()[:16],
    )
