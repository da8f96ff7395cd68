"""The same dataset served from PostgreSQL (the shared-deployment option)."""

import contextlib
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError

from api.main import create_app
from api.settings import Settings
from api.state import app_state
from tests.http.live import INITIALIZE, StdioPeer, live_server
from tests.support import run_cli, running

POSTGRES_URL = os.environ.get("TALL_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="no PostgreSQL server: set TALL_TEST_POSTGRES_URL (.ci/run starts one)"
)


@pytest.fixture(scope="module")
def pg_client() -> TestClient:
    with TestClient(create_app(Settings(database_url=POSTGRES_URL))) as client:
        yield client


def test_postgres_serves_the_same_answers_as_sqlite(pg_client: TestClient, client: TestClient) -> None:
    for path in (
        "/v1/studies?limit=500",
        "/v1/outcomes?limit=500",
        "/v1/adverse-events?limit=500",
        "/v1/conflicts",
        "/v1/studies/facets?therapy_class=car_t",
        "/v1/outcomes?sort=-value&limit=500",
        "/v1/comparison?measure=cr",
        "/v1/adverse-events?term=cytokine_release_syndrome&min_grade=3&target_antigen=CD7",
        "/v1/studies/jplsg-t11",
        "/v1/studies?target_antigen=CD7&target_antigen=CD5&limit=3&offset=2",
        "/v1/outcomes?age=10&therapy_class=car_t&min_patients=5&limit=4&offset=2",
    ):
        assert pg_client.get(path).json() == client.get(path).json(), path
    assert pg_client.get("/v1/meta").json()["counts"] == client.get("/v1/meta").json()["counts"]


def test_postgres_refuses_writes_after_loading(pg_client: TestClient) -> None:
    database = app_state(pg_client.app).database
    with pytest.raises((InternalError, OperationalError, ProgrammingError), match="read-only"):
        with database.engine.connect() as conn:
            conn.execute(text("DELETE FROM outcome"))


def test_loading_twice_replaces_rather_than_duplicates(pg_client: TestClient) -> None:
    with TestClient(create_app(Settings(database_url=POSTGRES_URL))) as second:
        assert second.get("/v1/meta").json()["counts"] == pg_client.get("/v1/meta").json()["counts"]


def test_postgres_search_finds_and_ranks_the_same_studies(pg_client: TestClient, client: TestClient) -> None:
    # One index and one ranking, the service's (api.queries.search), on both databases.
    for q in ("nelarabine", "cd7 car", "venetoclax etp"):
        ours = [s["id"] for s in client.get("/v1/studies", params={"q": q}).json()["items"]]
        theirs = [s["id"] for s in pg_client.get("/v1/studies", params={"q": q}).json()["items"]]
        assert ours == theirs and ours, q


def test_postgres_exports_the_same_files_as_sqlite(pg_client: TestClient, client: TestClient, tmp_path) -> None:
    from api.tools.export import export_database

    pg_files = export_database(app_state(pg_client.app).database.engine, tmp_path / "pg")
    sqlite_files = export_database(app_state(client.app).database.engine, tmp_path / "sqlite")
    assert [p.relative_to(tmp_path / "pg") for p in pg_files] == [
        p.relative_to(tmp_path / "sqlite") for p in sqlite_files
    ]
    for pg_file, sqlite_file in zip(pg_files, sqlite_files, strict=True):
        assert pg_file.read_bytes() == sqlite_file.read_bytes(), pg_file.name


def test_build_loads_one_schema_per_dataset_version(client: TestClient) -> None:
    from api.loading.build import read_schema_record, schema_name

    done = run_cli("build", "--database-url", str(POSTGRES_URL))
    assert done.returncode == 0, done.stderr
    version = client.get("/v1/meta").json()["dataset_version"]
    assert schema_name(version) in done.stdout
    record = read_schema_record(str(POSTGRES_URL), version)
    assert record is not None and record.dataset_version == version
    assert record.counts == client.get("/v1/meta").json()["counts"]
    again = run_cli("build", "--database-url", str(POSTGRES_URL))  # already built: kept as it is
    assert again.returncode == 0, again.stderr
    assert read_schema_record(str(POSTGRES_URL), version) == record


def test_two_processes_attached_to_one_schema_answer_identically(client: TestClient) -> None:
    version = client.get("/v1/meta").json()["dataset_version"]
    assert run_cli("build", "--database-url", str(POSTGRES_URL)).returncode == 0
    attach = ("--database-url", str(POSTGRES_URL), "--dataset-version", version)
    urls = ("/v1/meta", "/v1/studies?limit=4", "/v1/outcomes?limit=3&offset=1", "/v1/dataset?format=csv")
    host = {"Host": "api.example.org"}  # links (and so ETags) follow the Host; the ports differ
    with running(*attach) as first, running(*attach) as second:
        ours = [
            (r.status_code, r.content, r.headers["etag"])
            for r in (httpx.get(first.base + u, headers=host) for u in urls)
        ]
        theirs = [
            (r.status_code, r.content, r.headers["etag"])
            for r in (httpx.get(second.base + u, headers=host) for u in urls)
        ]
    assert ours == theirs
    assert all(status == 200 for status, _, _ in ours)


def test_attached_sessions_cannot_write(client: TestClient) -> None:
    from api.loading.build import attach_schema

    version = client.get("/v1/meta").json()["dataset_version"]
    assert run_cli("build", "--database-url", str(POSTGRES_URL)).returncode == 0
    database, _ = attach_schema(str(POSTGRES_URL), version)
    try:
        with pytest.raises((InternalError, OperationalError, ProgrammingError), match="read-only"):
            with database.engine.begin() as conn:
                conn.execute(text("DELETE FROM outcome"))
    finally:
        database.close()


def test_serve_refuses_a_version_that_was_never_built() -> None:
    done = run_cli(
        "serve", "--database-url", str(POSTGRES_URL), "--dataset-version", "0000000000000000", "--port", "1", timeout=60
    )
    assert done.returncode == 1
    assert "no complete build of dataset version 0000000000000000" in done.stderr, done.stderr


def _built_schema(env: dict[str, str]) -> str:
    """`tall-evidence build --database-url` into a schema of its own; the dataset version built."""
    done = run_cli("build", "--database-url", str(POSTGRES_URL), env=env)
    assert done.returncode == 0, done.stderr
    (version,) = re.findall(r"built dataset version ([0-9a-f]+)", done.stdout)
    return version


def test_health_is_503_once_the_served_schema_is_gone_and_serve_stops(tmp_path: Path) -> None:
    """`SELECT 1` answered while every data request was 503 (session 8's second probe): a load balancer
    polling /health kept sending traffic. A schema of its own (another public URL, another version).
    Session 14's probe (GB1): the 503 said "the service needs a restart", and serve stayed up answering it,
    though a restart finds no build: as for a SQLite file changed under it, serve says so and stops, status 3."""
    from sqlalchemy import create_engine

    env = {"TALL_PUBLIC_URL": "http://health-check.example"}
    version = _built_schema(env)
    args = ("--database-url", str(POSTGRES_URL), "--dataset-version", version)
    with live_server(tmp_path, env, args=args) as server:
        assert httpx.get(server.base + "/health", timeout=30).status_code == 200
        engine = create_engine(str(POSTGRES_URL))
        try:
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA tall_{version} CASCADE"))
        finally:
            engine.dispose()
        answer = httpx.get(server.base + "/health", timeout=30)
        assert server.process.wait(timeout=60) == 3, server.output()[-2000:]
    assert answer.status_code == 503 and "retry-after" not in answer.headers, answer.text
    assert "restart" not in answer.text and "gone or was changed" in answer.text, answer.text
    stopping = [line for line in server.output().splitlines() if "stopping the service" in line]
    assert len(stopping) == 1 and "the schema served is gone (relation" in stopping[0], server.output()[-2000:]
    assert " LINE " not in stopping[0], stopping  # the statement PostgreSQL quotes is no part of the reason


ID_FILTERS = [
    "/v1/studies?source_id=a%00b",
    "/v1/studies/batch?id=%00",
    "/v1/outcomes?study_id=a%00b",
    "/v1/outcomes?arm_id=%00",
    "/v1/adverse-events?figure_source_id=a%00b",
    "/v1/adverse-events/facets?study_id=a%00b",
    "/embed/table?source_id=a%00b",
]


@pytest.mark.parametrize("path", ID_FILTERS)
def test_an_id_filter_postgres_cannot_compare_is_refused_as_on_sqlite(
    pg_client: TestClient, client: TestClient, path: str
) -> None:
    # Session 9's probe: a NUL byte in an id filter reached PostgreSQL, which cannot compare such
    # text, and the request was answered 503 "the service needs a restart".
    answers = [c.get(path) for c in (pg_client, client)]
    assert [a.status_code for a in answers] == [422, 422], [a.text for a in answers]
    assert answers[0].content == answers[1].content  # the same refusal (an HTML page under /embed)


def test_connections_ended_under_the_service_are_replaced_and_the_request_served() -> None:
    """Session 10's probe (P9): after PostgreSQL ended the service's connections (as a restart, a
    failover, a pooler or idle_session_timeout does), the next request was a 503 telling operators
    the service needed a restart, and the one after it was served. Each connection is now checked
    as it leaves the pool, so that first request is served too."""
    from sqlalchemy import create_engine

    # libpq names the server's connections by PGAPPNAME: only they are ended, not other tests'.
    env = {"TALL_PUBLIC_URL": "http://ended-connections.example", "PGAPPNAME": "tall-ended-connections"}
    version = _built_schema(env)
    with running("--database-url", str(POSTGRES_URL), "--dataset-version", version, env=env) as server:
        for offset in range(4):  # uncached reads, so the pool holds connections
            assert httpx.get(f"{server.base}/v1/outcomes?limit=2&offset={offset}", timeout=30).status_code == 200
        engine = create_engine(str(POSTGRES_URL))
        try:
            with engine.begin() as connection:
                ended = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = 'tall-ended-connections'"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        assert ended >= 1
        answers = [
            httpx.get(f"{server.base}/v1/outcomes?limit=2&offset={10 + offset}&measure=pfs", timeout=30)
            for offset in range(4)
        ]
    assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]


class _Relay:
    """A TCP relay to the PostgreSQL server that can be cut off as a partition is: every open connection
    ended, and new ones accepted but never answered."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.cut.is_set():
                continue  # held open, never answered
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()  # frozen: held, as a stalled server or a stuck pooler holds it
                sink.sendall(data)
        except OSError:
            pass

    def freeze(self) -> None:
        """Relay nothing more, the connections kept open."""
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def partition(self) -> None:
        self.cut.set()
        self.thaw()
        for s in list(self.sockets):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()

    def refuse(self) -> None:
        """As a stopped server: every open connection ended, new ones refused (nothing listens)."""
        for s in [self.listener, *self.sockets]:  # a listener's accept is woken by a shutdown, not a close
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.close()

    def listen_again(self) -> None:
        """As a server started again on the same port."""
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()


def _relayed_build(env: dict[str, str]) -> tuple[str, _Relay, str]:
    """A schema built under env, a relay to the PostgreSQL server, and the URL through the relay."""
    from sqlalchemy.engine import make_url

    version = _built_schema(env)
    url = make_url(str(POSTGRES_URL))
    relay = _Relay(url.host or "127.0.0.1", url.port or 5432)
    return version, relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)


def test_health_answers_503_within_seconds_when_postgresql_stops_answering() -> None:
    """Session 13's probe (FB7): with PostgreSQL unreachable mid-service, a request needing a new connection,
    /health included, waited psycopg's default 130 s for its 503: past every load balancer's probe timeout.
    A connection is now made within 10 s or given up."""
    env = {"TALL_PUBLIC_URL": "http://partitioned.example"}
    version, relay, relayed = _relayed_build(env)
    try:
        with running("--database-url", relayed, "--dataset-version", version, env=env) as server:
            assert httpx.get(server.base + "/health", timeout=30).status_code == 200
            relay.partition()
            started = time.monotonic()
            answer = httpx.get(server.base + "/health", timeout=60)
            waited = time.monotonic() - started
    finally:
        relay.close()
    assert answer.status_code == 503, answer.text
    assert waited < 30, waited


MCP_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}


def _search_over_mcp(base: str) -> httpx.Response:
    call = {"name": "search_studies", "arguments": {"q": "nelarabine"}}
    message = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": call}
    return httpx.post(f"{base}/mcp", json=message, headers=MCP_HEADERS, timeout=60)


def test_an_mcp_tool_call_on_an_unreachable_database_is_a_tool_error_without_a_traceback(tmp_path: Path) -> None:
    """Session 14's second probe (HB2): an MCP tool call while PostgreSQL did not answer was "Error executing
    tool search_studies", which tells an agent nothing it can act on, and a 180-line traceback in the log."""
    env = {"TALL_PUBLIC_URL": "http://unreachable-mcp.example"}
    version, relay, relayed = _relayed_build(env)
    try:
        args = ("--database-url", relayed, "--dataset-version", version)
        with live_server(tmp_path, env, args=args) as server:
            relay.partition()
            answer = _search_over_mcp(server.base)
            output = server.output()
    finally:
        relay.close()
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"].endswith(": The database cannot be reached for the moment; try again shortly.")
    assert "Traceback" not in output, output[-3000:]
    assert "database not reachable in the MCP tool search_studies" in output


def test_fhir_searches_by_post_wait_their_turn_without_a_thread_while_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    """Session 15's probe (JB2): POST [type]/_search read outside the admission of the requests that read, so
    searches waiting on a database that took no new connection held every worker thread, and /v1/meta, which
    reads none, waited 207 s; and each waiting request built the FHIR index in turn, 10 s each."""
    env = {"TALL_PUBLIC_URL": "http://unreachable-fhir.example", "TALL_SHUTDOWN_TIMEOUT": "1"}
    version, relay, relayed = _relayed_build(env)
    answers: list[httpx.Response] = []
    try:
        args = ("--database-url", relayed, "--dataset-version", version)
        with live_server(tmp_path, env, args=args) as server:
            relay.partition()

            def search() -> None:
                form = {"_count": "1"}
                answers.append(httpx.post(f"{server.base}/fhir/ResearchStudy/_search", data=form, timeout=90))

            waiting = [threading.Thread(target=search) for _ in range(48)]
            for thread in waiting:
                thread.start()
            time.sleep(2.0)  # every search has arrived and waits on the database
            started = time.monotonic()
            meta = httpx.get(f"{server.base}/v1/meta", timeout=90)
            waited = time.monotonic() - started
        # The service stopped: the searches still waiting are answered 503 (its stop, or the database's).
        for thread in waiting:
            thread.join(90)
    finally:
        relay.close()
    assert meta.status_code == 200 and waited < 5, (meta.status_code, waited)
    assert len(answers) == 48 and {a.status_code for a in answers} == {503}, {a.status_code for a in answers}


def test_a_request_cut_short_by_the_shutdown_timeout_is_a_503_without_tracebacks(tmp_path: Path) -> None:
    """Session 13's probe (FB13): SIGTERM while a request waited on a stalled PostgreSQL answered it 500 after
    the shutdown timeout and logged four tracebacks (the session closed from the event loop while the route's
    thread was inside it). The documented answer for a request the stop cuts short is a 503."""
    env = {"TALL_PUBLIC_URL": "http://stalled.example", "TALL_SHUTDOWN_TIMEOUT": "2"}
    version, relay, relayed = _relayed_build(env)
    try:
        args = ("--database-url", relayed, "--dataset-version", version)
        with live_server(tmp_path, env, args=args) as server:
            assert httpx.get(server.base + "/v1/studies?q=before", timeout=30).status_code == 200
            relay.freeze()
            answers: dict[str, httpx.Response] = {}
            # Each face's own form (session 14's probe, GB5: one problem+json body for every path).
            paths = ("/v1/studies?q=stalled", "/fhir/ResearchStudy?_count=1", "/embed/table?q=stalled")
            waiting = [
                threading.Thread(target=lambda p=p: answers.update({p: httpx.get(server.base + p, timeout=60)}))
                for p in paths
            ]
            # And an MCP tool's call: the SDK ran it in a thread it waited for, cancelled or not, and `serve`
            # never ended (session 14's second probe, HB1).
            waiting.append(threading.Thread(target=lambda: answers.update({"/mcp": _search_over_mcp(server.base)})))
            for thread in waiting:
                thread.start()
            time.sleep(1.0)  # the requests are waiting on the frozen connection
            os.kill(server.process.pid, signal.SIGTERM)
            for thread in waiting:
                thread.join(timeout=30)
            # It ends though its thread is still stuck on the frozen connection: it outlived its "stopped"
            # line for as long as the connection lasted.
            ended = server.process.wait(timeout=20)
            output = server.output()
    finally:
        relay.thaw()
        relay.close()
    assert ended == 0 and "stopped" in output, output[-2000:]
    mcp = answers.pop("/mcp")
    assert mcp.status_code == 503 and mcp.headers["content-type"] == "application/json", mcp.text
    assert "stopped before this request was answered" in mcp.json()["error"]["message"]
    assert {p: a.status_code for p, a in answers.items()} == dict.fromkeys(paths, 503), answers
    media_types = {p: a.headers["content-type"] for p, a in answers.items()}
    assert media_types == dict(
        zip(paths, ("application/problem+json", "application/fhir+json", "text/html; charset=utf-8"), strict=True)
    )
    assert answers[paths[0]].json()["instance"] == "/v1/studies"
    assert answers[paths[1]].json()["resourceType"] == "OperationOutcome"
    for answer in answers.values():
        assert answer.headers["retry-after"] == "1" and answer.headers["x-content-type-options"] == "nosniff"
        assert "stopped before this request was answered" in answer.text
    assert "Traceback" not in output and "IllegalStateChangeError" not in output, output[-3000:]


@contextlib.contextmanager
def _stdio_on_a_relay(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[StdioPeer, _Relay]]:
    """`tall-evidence mcp` on a schema built under env, reached through a relay that can be frozen, initialized;
    killed if still running at the end, and the relay thawed and closed."""
    version, relay, relayed = _relayed_build(env)
    peer = StdioPeer({**env, "DATABASE_URL": relayed, "TALL_DATASET_VERSION": version}, tmp_path / "stderr.log")
    try:
        peer.request(INITIALIZE)
        assert "result" in peer.receive(), peer.stderr()
        peer.request({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield peer, relay
    finally:
        if peer.process.poll() is None:
            peer.process.kill()
            peer.process.wait(timeout=10)
        relay.thaw()
        relay.close()


def test_mcp_over_stdio_ends_when_its_client_closes_stdin_though_calls_are_stuck(tmp_path: Path) -> None:
    """Session 15's probe (JB1): `tall-evidence mcp` outlived its client, which had closed stdin, while a tool
    call's thread was stuck on a PostgreSQL that had stopped answering, for as long as it stayed so. Now the
    requests still running get TALL_SHUTDOWN_TIMEOUT seconds, are answered "Connection closed", and the
    process ends, saying so. With 8 calls stuck (the bound of requests unanswered) it did not read on to see
    the end of stdin at all (KB1): requests past the bound are read and queued, and answered so too; with the
    queue full too, the client's closing is seen without reading on."""
    env = {"TALL_PUBLIC_URL": "http://stuck-stdio.example", "TALL_SHUTDOWN_TIMEOUT": "2"}

    def search(request_id: int) -> dict[str, object]:
        call = {"name": "search_studies", "arguments": {"q": f"nelarabine {request_id}"}}
        return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": call}

    with _stdio_on_a_relay(tmp_path, env) as (peer, relay):
        for request_id in range(1, 13):  # calls at once: pooled connections, which the freeze holds
            peer.request(search(request_id))
        assert all(peer.receive()["result"]["isError"] is False for _ in range(12))
        relay.freeze()
        for request_id in range(100, 130):  # 8 stuck, 16 queued behind them, one held, 5 left unread
            peer.request(search(request_id))
        time.sleep(1.0)
        assert peer.process.stdin is not None
        peer.process.stdin.close()
        ended = peer.process.wait(timeout=30)
        cut_short = [peer.receive() for _ in range(25)]
    errors = peer.stderr()
    assert ended == 0, errors[-2000:]
    assert {m["id"] for m in cut_short} == set(range(100, 125)), cut_short
    assert {m["error"]["message"] for m in cut_short} == {"Connection closed"}, cut_short
    assert "closed its input with 25 request(s) still running; answered 'Connection closed' after 2 s" in errors
    assert "Traceback" not in errors, errors[-3000:]


def test_mcp_over_stdio_interrupted_ends_at_once_though_a_call_is_stuck(tmp_path: Path) -> None:
    """Session 15's probe (KB3): a Ctrl-C to `tall-evidence mcp` wrote its line, then the process waited for a
    tool call's thread stuck on a PostgreSQL that had stopped answering, for as long as it stayed so; with
    requests queued too, it wrote a 96-line traceback instead and never ended (LB3)."""
    env = {"TALL_PUBLIC_URL": "http://stuck-stdio.example", "TALL_SHUTDOWN_TIMEOUT": "20"}
    search = {"name": "search_studies", "arguments": {"q": "nelarabine"}}
    with _stdio_on_a_relay(tmp_path, env) as (peer, relay):
        peer.request({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": search})
        assert peer.receive()["result"]["isError"] is False  # a pooled connection now, which the freeze holds
        relay.freeze()
        for request_id in range(2, 12):  # one on the frozen connection, 7 connecting, 2 queued (LB3)
            peer.request({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": search})
        time.sleep(1.0)
        started = time.monotonic()
        os.kill(peer.process.pid, signal.SIGINT)
        ended = peer.process.wait(timeout=30)
        waited = time.monotonic() - started
    errors = peer.stderr()
    assert ended == 130 and waited < 5, (ended, waited, errors[-2000:])
    assert "tall-evidence mcp: interrupted (SIGINT)" in errors and "Traceback" not in errors, errors[-3000:]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/outcomes?measure=NCIT:C9999",
        "/v1/outcomes?measure=cr&measure=FOO:1",
        "/v1/outcomes/facets?measure=ncit:c9999",
        "/v1/outcomes.csv?measure=NCIT:C9999",
        "/v1/adverse-events?term=MEDDRA:1",
    ],
)
def test_a_code_no_term_carries_matches_nothing_as_on_sqlite(
    pg_client: TestClient, client: TestClient, path: str
) -> None:
    """Session 13's second probe (FC8): on PostgreSQL, a measure or term code no term carries was compared with the
    column's enum type, an error answered 503 'the database is unavailable; the service needs a restart'."""
    answer = pg_client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.content == client.get(path).content


def test_a_connect_timeout_the_url_gives_is_the_one_used() -> None:
    """Session 13's second probe (FD4): the serving connections' own bounds overrode the URL's
    `?connect_timeout=30`. The URL's win: a server that never answers is given up after its 2 s, not 10."""
    from sqlalchemy.exc import OperationalError as Unreachable

    from api.database import Database

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x?connect_timeout=2")
        started = time.monotonic()
        with pytest.raises(Unreachable):
            database.engine.connect()
        waited = time.monotonic() - started
        database.engine.dispose()
    assert waited < 6, waited


@pytest.mark.parametrize("timeout", ["abc", "1.5", "0", "-5", "99999999999999999999"])
@pytest.mark.parametrize("command", ["serve", "build"])
def test_a_connect_timeout_no_connection_can_use_is_one_line_naming_database_url(command: str, timeout: str) -> None:
    """Session 14's probe (GB4): the start-up check connects with its own bound, so `?connect_timeout=abc`
    passed it, and the first serving (or building) connection ended `serve` and `build` in a traceback,
    exit 1. 0 or less is no bound at all to libpq: refused as well."""
    from sqlalchemy.engine import make_url

    url = make_url(str(POSTGRES_URL)).update_query_dict({"connect_timeout": timeout})
    given = url.render_as_string(hide_password=False)
    arguments = ["--database-url", given] + (["--port", "1"] if command == "serve" else [])
    done = run_cli(command, *arguments, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"invalid setting DATABASE_URL: bad value for connect_timeout: {timeout!r}"), (
        done.stderr
    )


def test_a_postgresql_refusing_connections_is_a_503_to_retry_and_served_again_once_it_answers(tmp_path: Path) -> None:
    """Session 14's probe (GB1): with PostgreSQL stopped, every request was a 503 telling clients and operators
    "the service needs a restart", without Retry-After, though the same process served again once PostgreSQL
    was started. A connection that cannot be made now says to try again, as one lost during a request does."""
    env = {"TALL_PUBLIC_URL": "http://refusing.example", "TALL_RESPONSE_CACHE_ENABLED": "false"}
    version, relay, relayed = _relayed_build(env)
    try:
        with live_server(tmp_path, env, args=("--database-url", relayed, "--dataset-version", version)) as server:
            assert httpx.get(server.base + "/v1/sources", timeout=30).status_code == 200
            relay.refuse()
            answers = [
                httpx.get(server.base + path, timeout=30) for path in ("/health", "/v1/sources", "/fhir/ResearchStudy")
            ]
            relay.listen_again()
            again = httpx.get(server.base + "/v1/sources", timeout=30)
            assert server.process.poll() is None, server.output()[-2000:]
    finally:
        relay.close()
    for answer in answers:
        assert answer.status_code == 503 and answer.headers.get("retry-after") == "1", (answer.status_code, answer.text)
        assert "try again shortly" in answer.text and "restart" not in answer.text, answer.text
    assert again.status_code == 200, again.text


def _execute(statement: str) -> None:
    """One statement on the shared server, as an operator with write rights runs it."""
    from sqlalchemy import create_engine

    engine = create_engine(str(POSTGRES_URL))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_schema_whose_build_record_was_emptied_is_no_complete_build_and_build_rebuilds_it() -> None:
    """Session 15's probe (JB7): with the schema's dataset_build table emptied (a TRUNCATE), `serve`, `mcp` and
    `build` itself ended in a traceback (KeyError: 'dataset_version'), so the documented remedy, building it
    again, crashed too. The record is written last: without its keys the build is not whole."""
    from api.loading.build import read_schema_record

    env = {"TALL_PUBLIC_URL": "http://emptied-record.example"}
    version = _built_schema(env)
    _execute(f"TRUNCATE tall_{version}.dataset_build")
    assert read_schema_record(str(POSTGRES_URL), version) is None
    attach = ("--database-url", str(POSTGRES_URL), "--dataset-version", version)
    refused = run_cli("serve", *attach, "--port", "1", env=env, timeout=120)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr[-3000:]
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("serve: postgresql") and line.endswith(
        f" schema tall_{version}: no complete build of dataset version {version}; "
        "run `tall-evidence build --database-url URL`"
    ), line
    assert _built_schema(env) == version
    record = read_schema_record(str(POSTGRES_URL), version)
    assert record is not None and record.dataset_version == version
    with running(*attach, env=env) as server:
        assert httpx.get(server.base + "/v1/sources?limit=1", timeout=30).json()["total"] > 0


def _with_query(**query: str) -> str:
    """The test server's URL with these parameters added."""
    from sqlalchemy.engine import make_url

    return make_url(str(POSTGRES_URL)).update_query_dict(query).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("command", "asked_by"), [("serve", "url"), ("mcp", "url"), ("build", "url"), ("serve", "PGTARGETSESSIONATTRS")]
)
def test_a_url_asking_for_a_read_write_session_is_one_line_naming_database_url(command: str, asked_by: str) -> None:
    """Session 15's probe (JB4): `?target_session_attrs=read-write` (a URL copied from a job that writes)
    passed the start-up check, which connected without the service's read-only session options, then
    every serving connection failed "session is read-only": `serve` and `mcp` ended in a traceback, exit 1.
    libpq takes the same from its environment."""
    url = _with_query(target_session_attrs="read-write") if asked_by == "url" else str(POSTGRES_URL)
    env = {"DATABASE_URL": url} if asked_by == "url" else {"DATABASE_URL": url, asked_by: "read-write"}
    arguments = {"serve": ["--port", "1"], "mcp": [], "build": ["--database-url", url]}[command]
    done = run_cli(command, *arguments, env=env, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("invalid setting DATABASE_URL: cannot connect (connection failed: "), line
    assert line.endswith(
        "session is read-only; the service's sessions are read-only: ask target_session_attrs=primary, not read-write)"
    ), line


def test_a_url_asking_for_the_primary_is_served() -> None:
    """What the refusal of read-write advises: the primary, whose sessions can still be read-only."""
    env = {"TALL_PUBLIC_URL": "http://primary-session.example"}
    version = _built_schema(env)
    url = _with_query(target_session_attrs="primary")
    with running("--database-url", url, "--dataset-version", version, env=env) as server:
        assert httpx.get(server.base + "/v1/sources?limit=1", timeout=30).status_code == 200


@pytest.mark.parametrize("asked_by", ["PGCLIENTENCODING", "url"])
def test_the_service_reads_and_writes_utf8_whatever_client_encoding_the_host_or_url_asks(asked_by: str) -> None:
    """Session 15's probe (JB5): with PGCLIENTENCODING=LATIN1 (a standard libpq variable a host may carry) or
    `?client_encoding=LATIN1`, start-up and /health were fine, then a search was a 500 with a traceback (a
    UnicodeEncodeError), and reads meeting a character LATIN1 lacks a 503 asking for a restart. The service's
    connections are UTF8, as they are read-only: built and served so, each answer is the one without it."""
    env = {"TALL_PUBLIC_URL": f"http://latin1-{asked_by.lower()}.example"}
    version = _built_schema(env)
    _execute(f"DROP SCHEMA tall_{version} CASCADE")  # built again, under LATIN1: the text it writes is not LATIN1
    assert _built_schema({**env, "PGCLIENTENCODING": "LATIN1"}) == version
    env_latin1 = {**env, "PGCLIENTENCODING": "LATIN1"} if asked_by == "PGCLIENTENCODING" else env
    url = _with_query(client_encoding="LATIN1") if asked_by == "url" else str(POSTGRES_URL)
    paths = (
        "/v1/studies?limit=1&q=nel",
        "/v1/studies?q=%E6%97%A5",
        "/fhir/Evidence?_count=100",
        "/v1/claims/check?text=nelarabine+gave+a+CR+rate+of+80%25",
        "/v1/dataset",
    )
    host = {"Host": "api.example.org"}  # links follow the Host; the ports differ
    with running("--database-url", url, "--dataset-version", version, env=env_latin1) as latin1:
        answers = [httpx.get(latin1.base + path, headers=host, timeout=60) for path in paths]
    with running("--database-url", str(POSTGRES_URL), "--dataset-version", version, env=env) as server:
        expected = [httpx.get(server.base + path, headers=host, timeout=60) for path in paths]
    assert [a.status_code for a in answers] == [200] * len(paths), [a.text[:300] for a in answers]
    assert [a.content for a in answers] == [e.content for e in expected]


def test_health_is_503_once_the_served_schema_is_emptied_and_serve_stops(tmp_path: Path) -> None:
    """Session 15's probe (JB6): every table of the schema served emptied (TRUNCATE, as a clean-up would) was
    served on as an empty dataset under the build's version (a claim "not found" in data that says otherwise),
    /health ok, though the documentation promised a 503 and a stop, as for a dropped schema. /health reads the
    build record too; emptied, the schema reads as gone."""
    env = {"TALL_PUBLIC_URL": "http://emptied-schema.example"}
    version = _built_schema(env)
    args = ("--database-url", str(POSTGRES_URL), "--dataset-version", version)
    with live_server(tmp_path, env, args=args) as server:
        assert httpx.get(server.base + "/health", timeout=30).status_code == 200
        tables = ", ".join(f"tall_{version}.{name}" for name in _tables_of(f"tall_{version}"))
        _execute(f"TRUNCATE {tables} CASCADE")
        answer = httpx.get(server.base + "/health", timeout=30)
        assert server.process.wait(timeout=60) == 3, server.output()[-2000:]
    assert answer.status_code == 503 and "retry-after" not in answer.headers, answer.text
    assert "restart" not in answer.text and "gone or was changed" in answer.text, answer.text
    stopping = [line for line in server.output().splitlines() if "stopping the service" in line]
    emptied = "serve: stopping the service: the schema served was emptied or changed: its build record names no "
    assert len(stopping) == 1 and stopping[0].startswith(f"{emptied}dataset version {version};"), stopping


def _tables_of(schema: str) -> list[str]:
    from sqlalchemy import create_engine

    engine = create_engine(str(POSTGRES_URL))
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
                ).scalars()
            )
    finally:
        engine.dispose()
