"""`tall-evidence resolve --check` and `validate` on the real data, run the way CI runs them."""

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
