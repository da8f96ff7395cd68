"""`tall-evidence resolve --check` and `validate` on the real data, run the way CI runs them."""

import os
from pathlib import Path

import pytest

from api.settings import Settings
from tests.support import run_cli


def test_resolve_check_passes_on_the_committed_spans(settings: Settings) -> None:
    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    done = run_cli("resolve", "--check")
    assert done.returncode == 0, done.stderr


def test_validate_without_texts_checks_the_committed_spans() -> None:
    done = run_cli("validate", env={"TALL_SEEDS_TEXT_DIR": ""})
    assert done.returncode == 0, done.stderr
    assert "checked only against spans.yaml" in done.stdout


def test_validate_without_texts_fails_on_a_missing_spans_file(tmp_path: Path) -> None:
    env = {"TALL_SEEDS_TEXT_DIR": "", "TALL_SPANS_FILE": str(tmp_path / "spans.yaml")}
    done = run_cli("validate", env=env)
    assert done.returncode == 1
    assert "spans.yaml: spans." in done.stderr and "no span for studies/" in done.stderr


def _texts_but(tmp_path: Path, settings: Settings, keep: int) -> Path:
    if not settings.seeds_text_dir or not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    texts = tmp_path / "texts"
    texts.mkdir()
    for path in sorted(settings.seeds_text_dir.glob("*.txt"))[:keep]:
        (texts / path.name).write_bytes(path.read_bytes())
    return texts


@pytest.mark.parametrize("keep", [0, 1])
def test_resolve_names_each_missing_text_and_leaves_the_spans_file_as_it_was(
    tmp_path: Path, settings: Settings, keep: int
) -> None:
    """A texts directory lacking some of the registry's documents wrote a spans file without their
    figures (all 129 gone with none present), exit 0; the messages of validate said to run resolve."""
    texts = _texts_but(tmp_path, settings, keep)
    spans = tmp_path / "spans.yaml"
    spans.write_bytes(settings.spans_file.read_bytes())
    done = run_cli("resolve", env={"TALL_SEEDS_TEXT_DIR": str(texts), "TALL_SPANS_FILE": str(spans)})
    assert done.returncode == 1, done.stdout
    assert spans.read_bytes() == settings.spans_file.read_bytes()
    registry = {p.name for p in settings.seeds_text_dir.glob("*.txt")}
    absent = sorted(registry - {p.name for p in texts.iterdir()})
    assert f"{len(absent)} text(s) the registry names are not in {texts}" in done.stderr
    assert "spans.yaml was not written" in done.stderr
    for name in absent:
        assert f"{texts / name}: missing (the registry names this document" in done.stderr


def test_validate_with_texts_missing_names_them_not_every_span(tmp_path: Path, settings: Settings) -> None:
    texts = _texts_but(tmp_path, settings, 1)
    done = run_cli("validate", env={"TALL_SEEDS_TEXT_DIR": str(texts)})
    assert done.returncode == 1
    problems = [line.strip() for line in done.stderr.splitlines()[1:]]
    assert problems and all(": missing (the registry names this document" in line for line in problems), problems
    assert "does not match the text" not in done.stderr


@pytest.mark.parametrize("fault", ["fifo", "directory", "not UTF-8"])
def test_resolve_with_a_text_it_cannot_read_leaves_the_spans_file_as_it_was(
    tmp_path: Path, settings: Settings, fault: str
) -> None:
    """Session 9's probe: a text present but unreadable was left out, and the spans file rewritten
    without every figure of its document (129 spans to 60), exit 1 only after writing."""
    texts = _texts_but(tmp_path, settings, 99)
    unreadable = sorted(texts.iterdir())[0]
    unreadable.unlink()
    if fault == "fifo":
        os.mkfifo(unreadable)
    elif fault == "directory":
        unreadable.mkdir()
    else:
        unreadable.write_bytes(b"\xff\xfe not UTF-8\n")
    spans = tmp_path / "spans.yaml"
    spans.write_bytes(settings.spans_file.read_bytes())
    done = run_cli("resolve", env={"TALL_SEEDS_TEXT_DIR": str(texts), "TALL_SPANS_FILE": str(spans)})
    assert done.returncode == 1, done.stdout
    assert done.stdout == ""  # no "wrote" line
    assert spans.read_bytes() == settings.spans_file.read_bytes()
    assert f"1 text(s) cannot be read in {texts} (TALL_SEEDS_TEXT_DIR); spans.yaml was not written" in done.stderr
    assert unreadable.name in done.stderr


def test_resolve_with_a_text_that_is_not_the_registered_document_leaves_the_spans_file_as_it_was(
    tmp_path: Path, settings: Settings
) -> None:
    texts = _texts_but(tmp_path, settings, 99)
    other = sorted(texts.iterdir())[0]
    other.write_text("just some other text\n", encoding="utf-8")
    spans = tmp_path / "spans.yaml"
    spans.write_bytes(settings.spans_file.read_bytes())
    done = run_cli("resolve", env={"TALL_SEEDS_TEXT_DIR": str(texts), "TALL_SPANS_FILE": str(spans)})
    assert done.returncode == 1 and done.stdout == "", done.stdout
    assert spans.read_bytes() == settings.spans_file.read_bytes()
    said = f"1 text(s) are not the registry's documents (SHA-256) in {texts} (TALL_SEEDS_TEXT_DIR)"
    assert said in done.stderr and "spans.yaml was not written" in done.stderr, done.stderr
