"""A command line that explains itself: --version, every subcommand's help, errors naming the fix."""

import argparse
import os
import signal
from importlib.metadata import version
from pathlib import Path

import pytest

from api import cli, settings
from api.settings import INSTALLED_DATA, PROJECT_ROOT, STOP_SIGNALS, Settings


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


def test_validate_with_the_texts_set_empty_checks_the_spans_file_and_says_how_to_read_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main_with_env(monkeypatch, "TALL_SEEDS_TEXT_DIR", "", "validate") == 0
    out = capsys.readouterr().out
    assert "texts not read (none named)" in out and "set TALL_SEEDS_TEXT_DIR" in out
    assert "checked against spans.yaml" in out


@pytest.mark.parametrize("command", ["validate", "resolve"])
@pytest.mark.parametrize("kind", ["missing", "file", "dangling link", "fifo"])
def test_texts_set_to_what_is_not_a_directory_stop_the_command_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str, kind: str
) -> None:
    """Set on purpose and mistyped, the texts would otherwise be skipped with exit 0 (the fallback is
    for an unset default that is absent, or the setting left empty)."""
    texts = tmp_path / "texts"
    if kind == "file":
        texts.write_text("not a directory\n", encoding="utf-8")
    elif kind == "dangling link":
        texts.symlink_to(tmp_path / "nowhere")
    elif kind == "fifo":
        os.mkfifo(texts)
    argv = [command, "--check"] if command == "resolve" else [command]
    assert _main_with_env(monkeypatch, "TALL_SEEDS_TEXT_DIR", str(texts), *argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"invalid setting TALL_SEEDS_TEXT_DIR: {texts} ")
    assert "set TALL_SEEDS_TEXT_DIR to the directory holding the texts" in line
    assert "ok:" not in captured.out


def test_resolve_refuses_the_texts_set_empty(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main_with_env(monkeypatch, "TALL_SEEDS_TEXT_DIR", "", "resolve", "--check") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("invalid setting TALL_SEEDS_TEXT_DIR: it is empty and this command reads the texts")


def test_an_unset_default_that_is_absent_is_no_setting_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without the texts (an installed package) falls back to the spans file; only a value set
    on purpose is held to being a directory."""
    monkeypatch.delenv("TALL_SEEDS_TEXT_DIR", raising=False)
    monkeypatch.setattr(settings, "INSTALLED_DATA", tmp_path / "installed")
    monkeypatch.setattr(settings, "data_dir", lambda: tmp_path / "installed")
    unset = Settings()
    assert unset.seeds_text_dir == tmp_path / "installed" / "texts" and not unset.seeds_text_dir.exists()
    assert cli.texts_dir_problem(unset, needed=False) is None
    given = Settings(seeds_text_dir=tmp_path / "installed" / "texts")
    assert "does not exist" in (cli.texts_dir_problem(given, needed=False) or "")


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


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--version"], {}),
        (["validate", "--help"], {}),
        (["serve"], {"TALL_PORT": "not-a-port"}),
        (["serve"], {"TALL_HOST": "no-such-host.invalid"}),
        (["validate"], {"TALL_FIXTURES_DIR": "/nonexistent/fixtures"}),
    ],
)
def test_the_command_line_answers_help_and_bad_settings_before_importing_the_application(
    argv: list[str], env: dict[str, str]
) -> None:
    """The tests (and scripts) start many such processes: the web framework, the ORM and the models are
    imported by the commands that use them, not to print a version or refuse a setting."""
    import subprocess
    import sys

    script = (
        "import sys\nfrom api import cli\n"
        f"try:\n    cli.main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('fastapi', 'sqlalchemy', 'sqlmodel', 'models', 'starlette', 'yaml')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_a_worker_serving_a_built_file_leaves_the_fixture_reader_unimported() -> None:
    """`serve --database` workers import the application, not the build step's fixture reader, YAML
    parser and provenance checker (about a tenth of a worker's start-up)."""
    import subprocess
    import sys

    script = (
        "import sys\nimport api.main\n"
        "build_side = ('models.fixture', 'yaml', 'api.loading.fixture_files', 'api.loading.load', 'api.provenance')\n"
        "print(sorted(m for m in sys.modules if m.startswith(build_side)))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_registry_setting_naming_no_regular_file_says_what_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A FIFO or a device named by TALL_SOURCES_REGISTRY was called 'not found' (session 8 probe, P8)."""
    if kind == "fifo":
        path = tmp_path / "sources.yaml"
        os.mkfifo(path)
        words = "a FIFO (named pipe), not a regular file"
    else:
        path, words = Path("/dev/zero"), "a character device, not a regular file"
    assert _main_with_env(monkeypatch, "TALL_SOURCES_REGISTRY", str(path), "validate") == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert (
        line
        == f"invalid setting TALL_SOURCES_REGISTRY: {path} is {words}; set TALL_SOURCES_REGISTRY to the file to read"
    )


@pytest.mark.parametrize(
    ("target", "said"),
    [("nowhere", "is a dangling symbolic link"), (None, "is a link that cannot be followed (Too many levels")],
)
def test_a_broken_link_in_a_path_setting_is_named_as_one(tmp_path: Path, target: str | None, said: str) -> None:
    # Session 10's probe (L2): a self-looping TALL_SOURCES_REGISTRY was said not to exist.
    link = tmp_path / "registry.yaml"
    link.symlink_to(tmp_path / target if target else link)
    line = cli.path_problem(Settings(sources_registry=link)) or ""
    assert line.startswith(f"invalid setting TALL_SOURCES_REGISTRY: {link} {said}"), line


def test_a_stop_signal_while_serve_reads_its_settings_is_its_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Session 11's probe (S11-4): a SIGTERM before `serve` had checked its settings killed it
    without a word, a Ctrl-C there was a traceback. Its stop signals are noted before it reads them."""
    received: list[int] = []
    saved = {
        stop_signal: signal.signal(stop_signal, lambda signum, _: received.append(signum))
        for stop_signal in STOP_SIGNALS
    }

    def settings_then_a_signal() -> Settings:
        os.kill(os.getpid(), signal.SIGTERM)  # lands here, as the settings are read
        return Settings()

    monkeypatch.setattr(cli, "get_settings", settings_then_a_signal)
    try:
        status = cli.main(["serve", "--host", ""])  # a host refused right after the settings
    finally:
        for stop_signal, handler in saved.items():
            signal.signal(stop_signal, handler)
    assert received == [], "the signal reached the test's handler: serve had not noted its own yet"
    assert (status, capsys.readouterr().err) == (
        128 + signal.SIGTERM,
        "serve: interrupted (SIGTERM) before it served\n",
    )
