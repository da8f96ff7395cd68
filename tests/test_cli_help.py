"""A command line that explains itself: --version, every subcommand's help, errors naming the fix."""

import argparse
from importlib.metadata import version
from pathlib import Path

import pytest

from api import cli, settings
from api.settings import INSTALLED_DATA, PROJECT_ROOT, Settings


def _output(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def _main_with_env(monkeypatch: pytest.MonkeyPatch, name: str, value: str, *argv: str) -> int:
    """cli.main under one changed environment variable (settings are read once and cached)."""
    monkeypatch.setenv(name, value)
    settings.get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        settings.get_settings.cache_clear()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser("Source texts: somewhere.")
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_version_names_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _output(capsys, "--version")
    assert status == 0 and out.strip() == f"tall-evidence {version('tall-evidence')}"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_subcommand_help_says_what_it_does_its_arguments_and_an_example(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _output(capsys, name, "--help")
    assert status == 0
    what, example = out.split("\n\n")[1], out.split("example:\n")[1]
    assert len(what.split()) >= 5, f"`{name} --help` does not say what it does:\n{out}"
    assert example.strip().startswith(f"tall-evidence {name}") or f"tall-evidence {name}" in example
    for action in _subcommands()[name]._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{name} {action.option_strings[0]} has no help"
            assert action.option_strings[0] in out


def test_validate_help_says_where_the_texts_are_read_and_how_to_point_elsewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = _output(capsys, "validate", "--help")
    flat = " ".join(out.split())
    assert str(Settings().seeds_text_dir) in flat and "set TALL_SEEDS_TEXT_DIR=" in flat


def test_validate_without_the_texts_names_the_setting_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main_with_env(monkeypatch, "TALL_SEEDS_TEXT_DIR", str(tmp_path / "absent"), "validate") == 0
    out = capsys.readouterr().out
    assert f"texts not found at {tmp_path / 'absent'}" in out and "set TALL_SEEDS_TEXT_DIR" in out


def test_an_installed_package_looks_for_the_texts_beside_its_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a path computed from site-packages that no one could guess: <prefix>/share/tall-evidence/texts."""
    assert settings.texts_dir() == PROJECT_ROOT.parent / "shared" / "seeds"
    monkeypatch.setattr(settings, "data_dir", lambda: INSTALLED_DATA)
    assert settings.texts_dir() == INSTALLED_DATA / "texts"


@pytest.mark.parametrize("workers", ["0", "65", "99999"])
def test_a_bad_argument_is_named_with_what_is_accepted(capsys: pytest.CaptureFixture[str], workers: str) -> None:
    status, _, err = _output(capsys, "serve", "--workers", workers)
    assert status == 2 and "argument --workers: must be a whole number from 1 to 64" in err


def test_a_missing_directory_setting_is_named_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main_with_env(monkeypatch, "TALL_FIXTURES_DIR", str(tmp_path / "gone"), "validate") == 2
    err = capsys.readouterr().err
    assert "TALL_FIXTURES_DIR" in err and "set TALL_FIXTURES_DIR to the directory" in err
