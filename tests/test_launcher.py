"""The tests' command-line children (tests/launcher.py): forked from a preloaded process, each is
still a process of its own with the arguments, environment, working directory, session, limits
and exit status it was given, as a freshly started `tall-evidence` would have."""

import os
import signal
import time
from pathlib import Path

import httpx

from tests import launcher
from tests.support import free_port, wait_until_up


def test_each_child_has_its_own_environment_and_working_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    refused = launcher.run(["validate"], env={**os.environ, "TALL_FIXTURES_DIR": str(missing)}, timeout=60)
    assert refused.returncode == 2 and f"TALL_FIXTURES_DIR: {missing} does not exist" in refused.stderr
    # The next child does not see the setting the one before it was given, and works where it is told.
    texts = tmp_path / "texts"
    texts.mkdir()
    relative = {k: v for k, v in os.environ.items() if not k.startswith("TALL_")} | {"TALL_SEEDS_TEXT_DIR": "texts"}
    done = launcher.run(["validate"], env=relative, cwd=tmp_path, timeout=60)
    said = done.stdout + done.stderr
    assert str(missing) not in said
    # The relative texts directory read from the child's own working directory: empty, so each text is missing.
    assert done.returncode == 1 and "its text is not in texts)" in said


def test_a_child_has_its_own_pid_session_limit_and_exit_status(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = launcher.launch(
            ["serve", "--host", "127.0.0.1", "--port", str(port)],
            env=os.environ,
            stdout=out,
            stderr=launcher.STDOUT,
            start_new_session=True,
            nofile=300,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", server, output=log.read_text)
        assert server.pid not in (os.getpid(), os.getppid()) and os.getpgid(server.pid) == server.pid
        limits = Path(f"/proc/{server.pid}/limits").read_text()
        assert any(line.startswith("Max open files") and line.split()[3] == "300" for line in limits.splitlines())
        assert httpx.get(f"http://127.0.0.1:{port}/v1/studies?limit=1").status_code == 200
        assert server.poll() is None
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert "Received SIGTERM: stopped." in log.read_text()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)


def test_a_killed_child_reports_the_signal_like_popen(tmp_path: Path) -> None:
    child = launcher.launch(["mcp"], env=os.environ, stdin=launcher.PIPE, stdout=launcher.PIPE)
    time.sleep(0.2)
    child.kill()
    assert child.wait(timeout=30) == -signal.SIGKILL
