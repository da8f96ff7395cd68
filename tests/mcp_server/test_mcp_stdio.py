"""Issue 21 (session 8 probe): `tall-evidence mcp` as a child process, spoken to in JSON-RPC over its
stdin and stdout, as an agent's client does.

- P4: a bad file named by TALL_DATABASE_FILE, or a bad TALL_SPANS_FILE when the fixtures are built,
  gave a 70-80 line exception-group traceback; now one line naming the file, exit 1, stdout empty.
- P5: TALL_DATABASE_FILE with another TALL_PUBLIC_URL than the file was built with was served with
  the file's permalinks without a word; now refused as `mcp --database` refuses it, exit 2.
- P12: a stdin line of any size was read whole (a 300 MiB line took 711 MiB); now a line over the
  bound of an HTTP body is answered with a JSON-RPC error and skipped a chunk at a time, and a line
  that is not JSON (or not a JSON-RPC message) is answered too, where before it was dropped unanswered.
- P13 (the stdio face of it): an unknown prompt or tool is -32602 naming it, with nothing logged.
"""

import contextlib
import io
import itertools
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from api.mcp.transports import (
    MAX_QUEUED_REQUESTS,
    MAX_REQUEST_BYTES,
    MAX_UNANSWERED_REQUESTS,
    SKIPPED_CHUNK,
    LineRefused,
    next_line,
)
from api.settings import Settings
from api.version import api_version
from tests.http.live import INITIALIZE, StdioPeer, built_file, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_file(tmp_path_factory.mktemp("built"), {})


def _initialized(built: Path, log: Path) -> Iterator[StdioPeer]:
    session = StdioPeer({"TALL_DATABASE_FILE": str(built)}, log)
    try:
        session.request(INITIALIZE)
        assert "result" in session.receive(), session.stderr()
        session.request({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield session
    finally:
        session.close()


@pytest.fixture
def peer(built: Path, tmp_path: Path) -> Iterator[StdioPeer]:
    yield from _initialized(built, tmp_path / "stderr.log")


@pytest.fixture(scope="module")
def long_peer(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StdioPeer]:
    # One session for every bad line, as an agent's client keeps one: each test ends by showing the
    # session still answers, so the next bad line is read by a session that has refused the others.
    yield from _initialized(built, tmp_path_factory.mktemp("long") / "stderr.log")


def test_initialize_names_the_server_with_the_version_the_command_prints(built: Path, tmp_path: Path) -> None:
    """Session 13's probe, FB10: serverInfo named the server with an empty version."""
    printed = run_cli("--version").stdout.strip()
    session = StdioPeer({"TALL_DATABASE_FILE": str(built)}, tmp_path / "stderr.log")
    try:
        session.request(INITIALIZE)
        info = session.receive()["result"]["serverInfo"]
    finally:
        session.close()
    assert printed == f"tall-evidence {api_version()}" and api_version()
    assert info == {"name": "tall-evidence", "version": api_version()}


def _refusal(message: dict[str, Any], code: int) -> str:
    assert message["jsonrpc"] == "2.0" and message["id"] is None, message
    assert message["error"]["code"] == code, message
    text: str = message["error"]["message"]
    return text


def _ping(size: int, request_id: int) -> bytes:
    """A ping request of exactly size bytes, newline not counted (padded in its params)."""
    empty = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping", "params": {"pad": ""}}).encode()
    assert size >= len(empty)
    return empty.replace(b'"pad": ""', b'"pad": "' + b"x" * (size - len(empty)) + b'"')


def _bad_files(tmp: Path) -> dict[str, Path]:
    (tmp / "a-directory").mkdir()
    os.mkfifo(tmp / "a-fifo")
    (tmp / "dangling").symlink_to(tmp / "nowhere")
    (tmp / "loop-a").symlink_to(tmp / "loop-b")
    (tmp / "loop-b").symlink_to(tmp / "loop-a")
    (tmp / "not-sqlite.sqlite3").write_text("these are not the bytes of a SQLite database\n")
    return {
        "directory": tmp / "a-directory",
        "fifo": tmp / "a-fifo",
        "dangling link": tmp / "dangling",
        "symlink loop": tmp / "loop-a",
        "missing": tmp / "missing.sqlite3",
        "not SQLite": tmp / "not-sqlite.sqlite3",
        "device": Path("/dev/zero"),
    }


@pytest.mark.parametrize(
    "kind", ["directory", "fifo", "dangling link", "symlink loop", "missing", "not SQLite", "device"]
)
def test_a_bad_database_file_setting_is_one_line_on_stderr(tmp_path: Path, kind: str) -> None:
    path = _bad_files(tmp_path)[kind]
    if not path.parent.exists():
        pytest.skip(f"{path.parent} is not on this system")
    done = run_cli("mcp", env={"TALL_DATABASE_FILE": str(path)}, timeout=120)
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stdout == ""  # stdout is the protocol's channel
    assert done.stderr.startswith(f"mcp: {path}") and done.stderr.count("\n") == 1, done.stderr[-3000:]


def test_a_bad_spans_file_is_named_without_a_traceback(tmp_path: Path) -> None:
    spans = tmp_path / "spans.yaml"
    spans.write_text("spans: [unclosed\n")
    done = run_cli("mcp", env={"TALL_SPANS_FILE": str(spans)}, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stdout == ""
    assert done.stderr.startswith("invalid fixtures: "), done.stderr[-3000:]
    assert "TALL_SPANS_FILE" in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]


def test_a_database_file_setting_with_another_public_url_is_refused_as_with_database(built: Path) -> None:
    other = "https://other.example"
    assert Settings().public_url != other  # the file was built with the default
    named = run_cli("mcp", env={"TALL_DATABASE_FILE": str(built), "TALL_PUBLIC_URL": other})
    given = run_cli("mcp", "--database", str(built), env={"TALL_PUBLIC_URL": other})
    for done in (named, given):
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr.startswith("invalid setting TALL_PUBLIC_URL: ") and other in done.stderr, done.stderr
    assert named.stderr == given.stderr


def test_the_database_file_setting_serves_with_the_permalinks_it_was_built_with(peer: StdioPeer) -> None:
    peer.request(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "find_figures", "arguments": {"limit": 1}},
        }
    )
    (figure,) = peer.receive()["result"]["structuredContent"]["figures"]
    assert figure["permalink"].startswith(Settings().public_url + "/v1/outcomes/")


def test_a_client_that_writes_its_requests_and_closes_stdin_gets_every_answer(built: Path, tmp_path: Path) -> None:
    """Session 15's probe (JB1): at the end of stdin the SDK answered every request still running "Connection
    closed" at once, so `tall-evidence mcp < requests.jsonl` had no answer to its tool calls; and with more
    requests than the 8 answered at once and 16 queued, the pipe's closing was taken for the end (LB4: 25 of
    300 answered)."""
    peer = StdioPeer({"TALL_DATABASE_FILE": str(built)}, tmp_path / "stderr.log")
    claim = {"name": "check_claim", "arguments": {"text": "RD13-01 reported CR in 8 of 10 patients"}}
    search = {"name": "search_studies", "arguments": {"q": "nelarabine"}}
    lines = [
        INITIALIZE,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": claim},
        {"jsonrpc": "2.0", "id": "two", "method": "tools/call", "params": search},
    ]
    unmatched = [{"name": "search_studies", "arguments": {"q": f"zzq{n}"}} for n in range(60)]  # short answers
    lines += [{"jsonrpc": "2.0", "id": 100 + n, "method": "tools/call", "params": p} for n, p in enumerate(unmatched)]
    peer.send(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    assert peer.close() == 0, peer.stderr()
    answers = {message["id"]: message for message in (peer.receive() for _ in lines[1:])}
    assert set(answers) == {0, 1, "two", *range(100, 160)}, sorted(map(str, answers))
    assert answers[1]["result"]["content"][0]["text"].startswith("supported: "), answers[1]
    assert answers["two"]["result"]["isError"] is False, answers["two"]
    assert "still running" not in peer.stderr()


def test_stdin_is_not_read_ahead_of_the_answers(built: Path, tmp_path: Path) -> None:
    """Session 15's probe (JB8): stdin was read ahead of the answers without a bound; a client writing tool calls
    and not reading its answers grew the process by 6.5 MiB a second. Now at most 8 requests are read and not
    answered (and 16 queued): the rest wait in the pipe, and every one is answered once the client reads.
    Requests reusing the id of one not answered (KB4: counted once, they passed the bound, 12 MiB a second) are
    refused (test_a_request_reusing_the_id_of_one_not_yet_answered_is_refused)."""
    peer = StdioPeer({"TALL_DATABASE_FILE": str(built)}, tmp_path / "stderr.log")
    try:
        peer.request(INITIALIZE)
        assert "result" in peer.receive(), peer.stderr()
        peer.request({"jsonrpc": "2.0", "method": "notifications/initialized"})
        search = {"name": "search_studies", "arguments": {"q": "nelarabine"}}
        calls = [json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": search}) for n in range(700)]
        written: list[int] = []

        def write() -> None:
            for line in calls:
                peer.send(line.encode() + b"\n")
                written.append(1)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        time.sleep(4.0)  # the client reads nothing meanwhile
        taken = len(written)
        answered = [peer.receive()["id"] for _ in calls]
        writer.join(30)
    finally:
        peer.close()
    # What the stdin pipe holds (64 KiB on Linux) and the reader's buffer (8 KiB), the 8 read and the 16 queued
    # behind them; read ahead of their answers, all 700 were taken within the 4 s.
    sizes = itertools.accumulate(len(line) + 1 for line in calls)
    held = sum(1 for size in sizes if size <= 65536 + 8192)
    assert taken <= held + MAX_UNANSWERED_REQUESTS + MAX_QUEUED_REQUESTS + 8, (taken, held)
    assert sorted(answered) == list(range(700))


def test_a_line_over_the_bound_is_answered_and_skipped_and_the_session_goes_on(peer: StdioPeer) -> None:
    peer.send(_ping(MAX_REQUEST_BYTES, 1) + b"\n")  # exactly the bound: read
    assert peer.receive() == {"jsonrpc": "2.0", "id": 1, "result": {}}
    peer.send(_ping(MAX_REQUEST_BYTES + 1, 2) + b"\n")  # one byte more: refused, though it is a good message
    assert str(MAX_REQUEST_BYTES) in _refusal(peer.receive(), -32600)
    peer.request({"jsonrpc": "2.0", "id": 3, "method": "ping"})
    assert peer.receive() == {"jsonrpc": "2.0", "id": 3, "result": {}}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from Linux /proc")
def test_a_huge_line_is_skipped_without_being_held(peer: StdioPeer) -> None:
    huge = 48 << 20
    before = peer.peak_rss_kib()
    peer.send(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * huge + b'"}}\n')
    assert str(MAX_REQUEST_BYTES) in _refusal(peer.receive(), -32600)
    grown = peer.peak_rss_kib() - before
    assert grown < (huge >> 10) // 4, f"peak resident memory grew {grown} KiB for a {huge >> 10} KiB line"
    peer.request({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    assert peer.receive()["id"] == 2


@pytest.mark.parametrize(
    ("line", "code", "named"),
    [
        (b"this is not JSON", -32700, "Parse error"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "ping"', -32700, "Parse error"),
        (b'{"jsonrpc": "2.0", "id": NaN, "method": "ping"}', -32700, "NaN"),
        ('{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "é"}}'.encode("latin-1"), -32700, "UTF-8"),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', -32600, "batch"),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}', -32600, "jsonrpc"),
        (b'{"jsonrpc": "2.0", "id": 1.5, "method": "ping"}', -32600, "id must be"),
        (b'{"jsonrpc": "2.0", "id": 1}', -32600, "method"),
    ],
)
def test_a_line_that_is_no_json_rpc_message_is_answered(
    long_peer: StdioPeer, line: bytes, code: int, named: str
) -> None:
    long_peer.send(line + b"\n")
    assert named in _refusal(long_peer.receive(), code)
    long_peer.send(b"\n")  # a blank line is no message and is not answered
    long_peer.request({"jsonrpc": "2.0", "id": 9, "method": "ping"})
    assert long_peer.receive() == {"jsonrpc": "2.0", "id": 9, "result": {}}


@pytest.mark.parametrize(
    ("method", "params", "named"),
    [
        ("prompts/get", {"name": "no-such-prompt"}, "no-such-prompt"),
        ("tools/call", {"name": "no_such_tool", "arguments": {}}, "no_such_tool"),
        ("resources/read", {"uri": "tall://no-such-resource"}, "tall://no-such-resource"),
    ],
)
def test_an_unknown_name_is_invalid_params_and_nothing_is_logged(
    peer: StdioPeer, method: str, params: dict[str, Any], named: str
) -> None:
    peer.request({"jsonrpc": "2.0", "id": 5, "method": method, "params": params})
    answer = peer.receive()
    assert answer["id"] == 5 and answer["error"]["code"] == -32602, answer
    assert named in answer["error"]["message"]
    assert peer.close() == 0
    assert peer.stderr() == ""


class CountingReads(io.BytesIO):
    """A stream that records the most it was asked to read at once."""

    largest = 0

    def readline(self, size: int | None = -1) -> bytes:
        self.largest = max(self.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().readline(size)


def test_next_line_keeps_the_bound_and_skips_a_longer_line_a_chunk_at_a_time() -> None:
    stream = CountingReads(b"12345678\n" + b"9" * (5 * SKIPPED_CHUNK) + b"\n" + b"ok\n" + b"last")
    assert next_line(stream, 8) == b"12345678\n"
    with pytest.raises(LineRefused):
        next_line(stream, 8)
    assert stream.largest <= max(9, SKIPPED_CHUNK)
    assert next_line(stream, 8) == b"ok\n"
    assert next_line(stream, 8) == b"last"  # the last line needs no newline
    assert next_line(stream, 8) is None


def test_a_request_is_answered_by_a_cancellation_naming_its_id_as_the_sdk_correlates_it() -> None:
    """Session 15's probe (LB1): a cancellation naming 101 as "101" cancelled the call in the SDK, which never
    answers it then, but its place among the 8 stayed taken: 8 such and the session answered nothing more."""
    import anyio

    from api.mcp.transports import Unanswered

    async def places_left() -> list[int]:
        unanswered = Unanswered()
        for request_id in range(101, 109):
            unanswered.read(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call"}))
        counts = [unanswered.count()]
        for request_id in range(101, 105):
            unanswered.read(json.dumps({"method": "notifications/cancelled", "params": {"requestId": str(request_id)}}))
        unanswered.written("105")  # an answer names the id as the request wrote it; correlated all the same
        unanswered.written(106)
        counts.append(unanswered.count())
        with anyio.fail_after(1):
            await unanswered.room()  # places are free again
        return counts

    with ThreadPoolExecutor(1) as pool:  # the worker's thread may hold a running event loop of another test
        assert pool.submit(anyio.run, places_left).result() == [8, 2]


def test_a_request_reusing_the_id_of_one_not_yet_answered_is_refused(built: Path, tmp_path: Path) -> None:
    """Session 15's probe (LB2): the SDK holds one call per id, so two requests of one id and two cancellations of
    it freed both places while the older call ran on, uncounted, and the session read ahead without bound. JSON-RPC
    has ids unique: the second is refused, naming its id, and the first answered as usual."""
    peer = StdioPeer({"TALL_DATABASE_FILE": str(built)}, tmp_path / "stderr.log")
    search = {"name": "search_studies", "arguments": {"q": "nelarabine"}}
    try:
        peer.request(INITIALIZE)
        assert "result" in peer.receive(), peer.stderr()
        peer.request({"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": search}
        peer.send(((json.dumps(call) + "\n") * 2 + json.dumps({**call, "id": "7"}) + "\n").encode())
        answers = [peer.receive() for _ in range(3)]
    finally:
        peer.close()
    refusals = [a for a in answers if "error" in a]
    results = [a for a in answers if "result" in a]
    assert len(results) == 1 and results[0]["id"] == 7 and results[0]["result"]["isError"] is False, answers
    assert sorted(str(a["id"]) for a in refusals) == ["7", "7"], answers
    assert {a["error"]["code"] for a in refusals} == {-32600}, answers
    assert all("is that of a request not yet answered" in a["error"]["message"] for a in refusals), answers


def test_a_client_closing_its_output_with_answers_owed_ends_the_session_in_one_line(
    built: Path, tmp_path: Path
) -> None:
    """Session 15's review: a client that closed its end of stdout (`... | head -c 100`, or one that crashed)
    while answers were still owed ended `mcp` in a 60-90 line traceback of the SDK's task groups, status 1."""
    peer = StdioPeer({"TALL_DATABASE_FILE": str(built)}, tmp_path / "stderr.log")
    peer.request(INITIALIZE)
    assert "result" in peer.receive(), peer.stderr()
    peer.request({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert peer.process.stdout is not None
    peer.process.stdout.close()
    listing = b"".join(
        json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/list"}).encode() + b"\n" for n in range(300)
    )
    with contextlib.suppress(BrokenPipeError):
        peer.send(listing)
    assert peer.close() == 0, peer.stderr()
    errors = peer.stderr()
    assert "the client closed its output; stopped" in errors and "Traceback" not in errors, errors[-3000:]
