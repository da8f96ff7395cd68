"""The command line, and the real server started the way the README starts it."""

import json
import os
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from api.settings import PROJECT_ROOT
from tests import launcher
from tests.support import free_port, run_cli, wait_until_up


def test_validate_reports_counts_and_version() -> None:
    done = run_cli("validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ") and "version" in done.stdout


def test_openapi_command_writes_a_valid_document(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    assert run_cli("openapi", "--out", str(out)).returncode == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    validate(document)
    assert document["paths"]["/v1/studies"]["get"]["operationId"] == "listStudies"


def test_openapi_written_to_the_file_standard_output_names_is_whole(tmp_path: Path) -> None:
    """Session 12's probe: `openapi --out /dev/stdout > file` wrote its 'wrote' line over the document's start."""
    out = tmp_path / "openapi.json"
    with out.open("w") as stdout:
        child = launcher.launch(["openapi", "--out", "/dev/stdout"], env=dict(os.environ), stdout=stdout)
        assert child.wait(timeout=300) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["openapi"].startswith("3.")


def test_schema_check_passes_on_the_committed_schemas() -> None:
    done = run_cli("schema", "--check")
    assert done.returncode == 0, done.stderr


def test_serve_answers_over_http() -> None:
    port = free_port()
    env = {**os.environ, "TALL_PORT": str(port)}
    server = launcher.launch(["serve"], env=env, stdout=launcher.PIPE, stderr=launcher.STDOUT, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/studies", server, 60)
        response = httpx.get(f"http://127.0.0.1:{port}/v1/studies", timeout=5)
        assert response.status_code == 200
        studies = {s["id"] for s in response.json()["items"]}
        assert studies == {p.stem for p in (PROJECT_ROOT / "fixtures" / "studies").glob("*.yaml")}
        # Through uvicorn itself: no banner, the hardening headers, and the limits answered by the app.
        base = f"http://127.0.0.1:{port}"
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        head = httpx.head(f"{base}/v1/studies", timeout=5)
        assert head.status_code == 200 and head.headers["content-length"] == response.headers["content-length"]
        assert httpx.post(f"{base}/v1/studies", timeout=5).headers["allow"] == "GET, HEAD, OPTIONS"
        too_long = httpx.get(f"{base}/v1/studies?offset={'0' * 4000}", timeout=5)
        assert too_long.status_code == 414
        assert too_long.headers["content-type"] == "application/problem+json"
        assert "server" not in too_long.headers
    finally:
        server.terminate()
        server.wait(timeout=30)


# Session 13's probe, FB6: a path holding a newline and an escape sequence was printed raw, so the
# one-line refusal became two, the second a forged `serve: ok, serving` with an ESC for the terminal.
FORGING_NAME = "a\nserve: ok, serving\x1b[31m.sqlite3"


@pytest.mark.parametrize("command", ["serve", "validate"])
def test_a_path_with_control_characters_is_refused_in_escaped_lines(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / FORGING_NAME
    os.mkfifo(fifo)
    if command == "serve":
        done = run_cli("serve", "--database", str(fifo), "--port", str(free_port()), timeout=60)
    else:
        done = run_cli("validate", env={"TALL_SPANS_FILE": str(fifo)}, timeout=60)
    assert done.returncode == 1, done.stderr
    escaped = f"{tmp_path}/a\\nserve: ok, serving\\x1b[31m.sqlite3"
    lines = done.stderr.splitlines()
    assert "\x1b" not in done.stderr and escaped in done.stderr, done.stderr
    assert not any(line.startswith("serve: ok") for line in lines), done.stderr
    if command == "serve":
        assert lines == [f"serve: {escaped}: a FIFO (named pipe), not a regular file"]
    else:  # the count, then each problem on a line of its own
        assert lines[0] == "invalid fixtures: 1 fixture problem(s):" and lines[1].startswith(f"  {escaped} "), lines


def test_every_control_character_is_escaped_and_nothing_else() -> None:
    from api.cli import one_line

    assert one_line("a\r\n\t\x00\x1b\x7f\x85\x9f\u2028\u2029b") == "a\\r\\n\\t\\x00\\x1b\\x7f\\x85\\x9f\\u2028\\u2029b"
    assert one_line("émigré → 5 % ' \" \\ \xa0 \x20 ~") == "émigré → 5 % ' \" \\ \xa0 \x20 ~"
