"""The Dockerfile's own build and serve steps, run for real.

With a Docker engine the image is built and run. Without one (this machine, CI) the test reads the
Dockerfile and runs its RUN lines and its CMD on this machine, in a directory standing in for the
image's WORKDIR: a change to how the image builds or serves the database changes what runs here.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api.loading.build import FILE_PREFIX, FILE_SUFFIX
from api.settings import PROJECT_ROOT
from tests.support import LiveServer, free_port, wait_until_up

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
# Never part of what the image needs, and large: left out of the stand-in for the build context
# even where .dockerignore does not name them (an untracked checkout can hold any of these).
HEAVY = [".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"]
HEAVY += ["*.egg-info", "build", "dist", "tests/artifacts"]
# `RUN useradd ...` and `USER` are skipped: there is no container user namespace here to create the
# account in or switch to, so the stand-in runs as whoever runs the tests (the read-only check allows for root).
ACCOUNT_COMMANDS = {"useradd", "adduser", "groupadd", "addgroup"}
# Instructions that would change the build in a way the stand-in does not reproduce.
UNSUPPORTED = {"ADD", "SHELL", "ONBUILD", "VOLUME"}
NETWORK_FAILURES = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable")


@dataclass
class DockerSteps:
    """The instructions of a one-stage Dockerfile that decide what the image holds and runs."""

    workdir: str = "/"
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    # Each RUN with the ENV values declared before it, as the build would see them.
    runs: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # ARG values with their defaults: seen by later RUNs and ENV lines, not by the running image.
    args: dict[str, str] = field(default_factory=dict)
    cmd: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def logical_lines(text: str) -> list[str]:
    """Instruction lines with continuations joined; comment and blank lines dropped (inside continuations too)."""
    lines: list[str] = []
    pending: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        lines.append(" ".join(part for part in pending if part))
        pending = []
    if pending:
        lines.append(" ".join(part for part in pending if part))
    return lines


def _exec_form(arguments: str) -> list[str] | None:
    if not arguments.startswith("["):
        return None
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError:
        return None  # Docker treats invalid JSON as the shell form
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def _env_pairs(arguments: str) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: arguments.split(None, 1)[1] if len(words) > 1 else ""}  # legacy `ENV key value`
    return dict(word.split("=", 1) for word in words)


def _expand(value: str, known: dict[str, str]) -> str:
    """$NAME and ${NAME} in an ENV value, from the ARG and ENV values declared before it."""
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: known.get(m.group(1), ""), value)


def parse_dockerfile(text: str) -> DockerSteps:
    steps = DockerSteps()
    stages = 0
    for line in logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword, arguments = keyword.upper(), arguments.strip()
        if keyword == "FROM":
            stages += 1
            if stages > 1:
                raise ValueError("multi-stage Dockerfile: the stand-in build runs one stage")
        elif keyword in UNSUPPORTED:
            raise ValueError(f"{keyword} is not reproduced by the stand-in build: extend tests/test_dockerfile.py")
        elif keyword == "WORKDIR":
            steps.workdir = arguments
        elif keyword == "COPY":
            words = _exec_form(arguments) or shlex.split(arguments)
            if any(word.startswith("--from") for word in words):
                raise ValueError("COPY --from is not reproduced by the stand-in build")
            paths = [word for word in words if not word.startswith("--")]
            steps.copies.append((paths[:-1], paths[-1]))
        elif keyword == "ARG":
            name, _, default = arguments.partition("=")
            steps.args[name.strip()] = default.strip()
        elif keyword == "ENV":
            known = {**steps.args, **steps.env}
            steps.env.update({k: _expand(v, known) for k, v in _env_pairs(arguments).items()})
        elif keyword == "RUN":
            exec_form = _exec_form(arguments)
            command = shlex.join(exec_form) if exec_form is not None else arguments
            first = shlex.split(command)[0] if command else ""
            if first in ACCOUNT_COMMANDS:
                steps.skipped.append(line)
                continue
            if any(re.search(rf"\b{name}\b", command) for name in ACCOUNT_COMMANDS):
                raise ValueError(f"an account command mixed with build commands cannot be skipped alone: {line}")
            steps.runs.append((command, {**steps.args, **steps.env}))
        elif keyword == "CMD":
            steps.cmd = _exec_form(arguments) or ["/bin/sh", "-c", arguments]
        elif keyword == "USER":
            steps.skipped.append(line)
    return steps


def test_parser_joins_continuations_and_reads_both_command_forms() -> None:
    text = (
        "# syntax comment\n"
        "FROM python:3.11-slim\n"
        "RUN useradd app\n"
        "WORKDIR /srv\n"
        "COPY --chown=app:app src other /srv/\n"
        "RUN echo one \\\n"
        "    # a comment inside a continuation is dropped\n"
        "    && echo two\n"
        'ENV A=1 B="two words"\n'
        "ENV LEGACY some value\n"
        'RUN ["python3", "-c", "print(\'x y\')"]\n'
        "USER app\n"
        'HEALTHCHECK CMD ["true"]\n'
        'CMD ["/bin/sh", "-c", "exec serve --workers \\"$A\\""]\n'
    )
    steps = parse_dockerfile(text)
    assert steps.workdir == "/srv"
    assert steps.copies == [(["src", "other"], "/srv/")]
    (joined, _), (exec_form, _) = steps.runs
    assert joined == "echo one && echo two"
    assert shlex.split(exec_form) == ["python3", "-c", "print('x y')"]
    assert [declared for _, declared in steps.runs] == [{}, {"A": "1", "B": "two words", "LEGACY": "some value"}]
    assert steps.env == {"A": "1", "B": "two words", "LEGACY": "some value"}
    assert steps.cmd == ["/bin/sh", "-c", 'exec serve --workers "$A"']
    assert steps.skipped == ["RUN useradd app", "USER app"]

    assert parse_dockerfile("FROM x\nCMD serve --port 1\n").cmd == ["/bin/sh", "-c", "serve --port 1"]
    with pytest.raises(ValueError, match="multi-stage"):
        parse_dockerfile("FROM a\nFROM b\n")
    with pytest.raises(ValueError, match="ADD"):
        parse_dockerfile("FROM a\nADD x /y\n")


def _ignored_patterns() -> list[str]:
    ignore_file = PROJECT_ROOT / ".dockerignore"
    lines = ignore_file.read_text().splitlines() if ignore_file.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")] + HEAVY


def copy_context(destination: Path) -> None:
    """The checkout as a build context would hold it: without what .dockerignore and HEAVY name."""
    patterns = [pattern.removeprefix("**/").rstrip("/") for pattern in _ignored_patterns()]

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(PROJECT_ROOT)
        return {
            name
            for name in names
            if any(
                fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch((relative / name).as_posix(), pattern)
                for pattern in patterns
            )
        }

    shutil.copytree(PROJECT_ROOT, destination, ignore=ignore, symlinks=True, dirs_exist_ok=True)


def on_host(text: str, *, container: str, host: Path) -> str:
    """`text` with the container directory `container` (say /app) standing for `host`."""
    return re.sub(rf"(?<![\w./-]){re.escape(container.rstrip('/'))}(?![\w.-])", str(host), text)


def _build_environment() -> dict[str, str]:
    # This interpreter's directory first: `python3` in a RUN line is the Python this suite runs on.
    # pip's own settings (index, certificates, proxies) stay as the machine has them.
    env = {key: value for key, value in os.environ.items() if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return env


def _database_argument(command: list[str]) -> Path:
    words = shlex.split(command[-1]) if command[:2] == ["/bin/sh", "-c"] else command
    assert "--database" in words, f"the CMD serves no --database file: {command}"
    return Path(words[words.index("--database") + 1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


def _make_writable(directory: Path) -> None:
    if directory.exists():
        for path in [directory, *directory.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.mark.slow
def test_dockerfile_build_and_serve_steps_run_on_this_machine(tmp_path: Path) -> None:
    steps = parse_dockerfile(DOCKERFILE.read_text())
    assert steps.runs and steps.cmd, "the Dockerfile builds and serves nothing"
    app = tmp_path / "app"
    app.mkdir()

    def mapped(text: str) -> str:
        return on_host(text, container=steps.workdir, host=app)

    for sources, destination in steps.copies:
        target = Path(mapped(destination))
        assert target.is_relative_to(app), f"COPY outside the WORKDIR is not reproduced: {destination}"
        for source in sources:
            if source == ".":
                copy_context(target)
            else:
                shutil.copytree(PROJECT_ROOT / source, target / Path(source).name, dirs_exist_ok=True)

    environment = _build_environment()
    for command, declared in steps.runs:
        done = subprocess.run(
            ["/bin/sh", "-c", mapped(command)],
            cwd=app,
            env={**environment, **{key: mapped(value) for key, value in declared.items()}},
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 and any(sign in output for sign in NETWORK_FAILURES):
            pytest.skip(f"the package index is unreachable from here, so the image's pip install cannot run:\n{output}")
        assert done.returncode == 0, f"RUN {command}\nexited with {done.returncode}:\n{output}"

    command = [mapped(word) for word in steps.cmd]
    database = _database_argument(command)
    built = database.resolve()
    assert built.is_file() and built.is_relative_to(app), f"the CMD's database {database} was not built"
    assert built.name.startswith(FILE_PREFIX) and built.name.endswith(FILE_SUFFIX), built.name
    version = built.name.removeprefix(FILE_PREFIX).removesuffix(FILE_SUFFIX)
    workers = int(steps.env["WEB_CONCURRENCY"])

    port = free_port()
    log = tmp_path / "serve.log"
    serve_env = {**environment, **{key: mapped(value) for key, value in steps.env.items()}}
    serve_env |= {"TALL_HOST": "127.0.0.1", "TALL_PORT": str(port)}  # loopback only, a free port
    with log.open("w") as log_file:
        server = subprocess.Popen(
            command, cwd=app, env=serve_env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(f"{base}/health", server, timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log.read_text()}") from None

        meta = httpx.get(f"{base}/v1/meta", timeout=10)
        assert meta.status_code == 200, meta.text
        assert meta.json()["dataset_version"] == version
        assert meta.json()["counts"]["outcome"] > 0
        again = httpx.get(f"{base}/v1/meta", timeout=10)  # a new connection, taken by whichever worker
        assert again.status_code == 200 and again.content == meta.content
        assert again.headers["etag"] == meta.headers["etag"]
        # `serve --workers 1` answers in its own process; more start that many worker processes.
        worker_pids = LiveServer(base, server.pid).worker_pids()
        assert len(worker_pids) == (workers if workers > 1 else 0), log.read_text()

        data = built.parent
        if os.geteuid() == 0:
            # root writes through any mode bits: check the bits the chmod was to clear.
            for path in [data, *data.rglob("*")]:
                if not path.is_symlink():
                    assert path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0, path
        else:
            with pytest.raises(PermissionError):
                (data / "written-by-the-server.txt").write_text("x")
            with pytest.raises(PermissionError), built.open("ab"):
                pass

        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=10)
        assert returncode == 0, log.read_text()
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in worker_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in worker_pids), "workers outlived the server"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        _make_writable(app / "data")  # so the temporary directory can be removed


def _engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.slow
def test_docker_image_builds_and_serves(tmp_path: Path) -> None:
    if not _engine_answers():
        pytest.skip("no Docker engine answers `docker info`: the image cannot be built here")
    steps = parse_dockerfile(DOCKERFILE.read_text())
    container_port = steps.env["TALL_PORT"]
    context = tmp_path / "context"
    copy_context(context)
    image = f"tall-evidence-test:{uuid.uuid4().hex[:12]}"
    built = subprocess.run(
        ["docker", "build", "-q", "-t", image, str(context)], capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, built.stderr
    container = ""
    try:
        started = subprocess.run(
            ["docker", "run", "-d", "-p", f"127.0.0.1::{container_port}", image],
            capture_output=True,
            text=True,
            check=True,
        )
        container = started.stdout.strip()
        mapping = subprocess.run(
            ["docker", "port", container, f"{container_port}/tcp"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        assert mapping.startswith("127.0.0.1:"), mapping
        base = f"http://{mapping}"
        deadline = time.monotonic() + 120
        health = None
        while health is None and time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.5)
        logs = subprocess.run(["docker", "logs", container], capture_output=True, text=True).stdout
        assert health is not None and health.status_code == 200, logs
        meta = httpx.get(f"{base}/v1/meta", timeout=10)
        assert meta.status_code == 200 and meta.json()["counts"]["outcome"] > 0, meta.text
        stopped = subprocess.run(["docker", "stop", "-t", "10", container], capture_output=True, text=True)
        assert stopped.returncode == 0, stopped.stderr
    finally:
        if container:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
