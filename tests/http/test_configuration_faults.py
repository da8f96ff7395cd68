"""Issue 21, item 8: bad configuration ends the real command with one line naming the setting and
exit status 2, never a traceback; TALL_DATABASE_FILE alone is served as `serve --database` would.
And from the second fresh probe: an empty `--out`, a `--database` that is a directory or a FIFO,
and a TALL_PUBLIC_URL other than the one a file was built with."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.http.live import built_file, live_server, run_cli, scratch_data, worker_pids
from tests.support import free_port

TIMEOUT = 90.0


def _one_line(result: subprocess.CompletedProcess[str], name: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert name in lines[0], lines[0]
    return lines[0]


BAD_SETTINGS = {
    "DATABASE_URL a directory": ("DATABASE_URL", "sqlite:///{tmp}"),
    "DATABASE_URL unsupported scheme": ("DATABASE_URL", "mysql://user@127.0.0.1/db"),
    "DATABASE_URL refusing PostgreSQL": ("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:{closed}/x"),
    "DATABASE_URL unwritable path": ("DATABASE_URL", "sqlite:///{tmp}/missing/dir/x.db"),
    "DATABASE_URL in memory": ("DATABASE_URL", "sqlite:///:memory:"),
    "DATABASE_URL a device": ("DATABASE_URL", "sqlite:////dev/full"),
    "TALL_HEADER_TIMEOUT tiny": ("TALL_HEADER_TIMEOUT", "1e-9"),
    "TALL_PUBLIC_URL no host": ("TALL_PUBLIC_URL", "http://"),
    "TALL_PUBLIC_URL with a space": ("TALL_PUBLIC_URL", "https://evidence example.org"),
    "TALL_PUBLIC_URL not ASCII": ("TALL_PUBLIC_URL", "https://évidence.example.org"),
    "TALL_PUBLIC_URL bad port": ("TALL_PUBLIC_URL", "https://evidence.example.org:99999"),
    # Session 10's probe (P5): an empty query or fragment was taken, and every permalink built on it
    # ('http://x.example?/v1/...') named the site's root; dot segments were written into links too.
    "TALL_PUBLIC_URL an empty query": ("TALL_PUBLIC_URL", "http://x.example?"),
    "TALL_PUBLIC_URL an empty fragment": ("TALL_PUBLIC_URL", "http://x.example#"),
    "TALL_PUBLIC_URL a slash then an empty query": ("TALL_PUBLIC_URL", "http://x.example/?"),
    "TALL_PUBLIC_URL a dot segment": ("TALL_PUBLIC_URL", "http://x.example/a/../b"),
    "TALL_FHIR_CANONICAL_BASE an empty query": ("TALL_FHIR_CANONICAL_BASE", "https://x.example/fhir?"),
    "TALL_CORS_ORIGINS an empty fragment": ("TALL_CORS_ORIGINS", "https://a.example#"),
    "TALL_HOST not a host": ("TALL_HOST", "not*a*host"),
    "TALL_HOST unresolvable": ("TALL_HOST", "no-such-host.invalid"),
    "TALL_RESPONSE_CACHE_SKIP_PATHS not JSON": ("TALL_RESPONSE_CACHE_SKIP_PATHS", "not json"),
    # Session 9's probe: an empty path was the working directory (the corrections' directory found none).
    "TALL_COVERAGE_DIR empty": ("TALL_COVERAGE_DIR", ""),
    "TALL_DATABASE_FILE empty": ("TALL_DATABASE_FILE", ""),
    # Session 8's second probe: an entry no request path can equal was taken.
    "TALL_RESPONSE_CACHE_SKIP_PATHS an entry that is no path": ("TALL_RESPONSE_CACHE_SKIP_PATHS", '["health"]'),
    # The last probe of issue 21: each was a traceback (WEB_CONCURRENCY, exit 1) or accepted silently.
    # (Values are format strings: braces doubled.)
    "WEB_CONCURRENCY not a number": ("WEB_CONCURRENCY", "abc"),
    # A fresh probe: the driver named is not installed (a traceback, exit 1).
    "DATABASE_URL a driver not installed": ("DATABASE_URL", "postgresql+asyncpg://127.0.0.1:{closed}/x"),
    "WEB_CONCURRENCY zero": ("WEB_CONCURRENCY", "0"),
    "WEB_CONCURRENCY over the most workers": ("WEB_CONCURRENCY", "65"),
    "TALL_DATA_LICENCE a newline": ("TALL_DATA_LICENCE", "\n"),
    "TALL_DATA_LICENCE a control character": ("TALL_DATA_LICENCE", "CC-BY-4.0\x07"),
    "TALL_MAX_CONNECTIONS zero": ("TALL_MAX_CONNECTIONS", "0"),
    "TALL_MAX_FIXTURE_BYTES negative": ("TALL_MAX_FIXTURE_BYTES", "-1"),
    # Session 10's second probe: past 2**63 a read cannot even be asked for that many bytes (a traceback).
    "TALL_MAX_FIXTURE_BYTES past 2**63": ("TALL_MAX_FIXTURE_BYTES", "9223372036854775807"),
    "TALL_MAX_FIXTURE_BYTES over 1 GiB": ("TALL_MAX_FIXTURE_BYTES", "1073741825"),
    "TALL_PREVIOUS_DATABASE_FILES a JSON object": ("TALL_PREVIOUS_DATABASE_FILES", '{{"a": 1}}'),
    "TALL_PREVIOUS_DATABASE_FILES a blank entry": ("TALL_PREVIOUS_DATABASE_FILES", '["old.sqlite3", " "]'),
    "TALL_PREVIOUS_DATABASE_FILES_SHA256 a JSON object": ("TALL_PREVIOUS_DATABASE_FILES_SHA256", '{{"a": 1}}'),
    # Session 7's probe: a number pydantic would round or read past ('18205.0', '1_8205') was taken.
    "TALL_PORT with a decimal point": ("TALL_PORT", "18205.0"),
    "TALL_PORT with an underscore": ("TALL_PORT", "1_8205"),
    "WEB_CONCURRENCY with a decimal point": ("WEB_CONCURRENCY", "2.0"),
    # Cache-Control durations had no most: a cache would keep an answer for 3 million years.
    "TALL_CACHE_MAX_AGE over a year": ("TALL_CACHE_MAX_AGE", "99999999999999"),
    "TALL_CACHE_S_MAXAGE over a year": ("TALL_CACHE_S_MAXAGE", "31536001"),
    "TALL_CACHE_STALE_WHILE_REVALIDATE over a year": ("TALL_CACHE_STALE_WHILE_REVALIDATE", "31536001"),
    # Session 8's probe: any text was taken as an allowed origin, and matched nobody.
    "TALL_CORS_ORIGINS not an origin": ("TALL_CORS_ORIGINS", "not an origin"),
    "TALL_CORS_ORIGINS with a line break": ("TALL_CORS_ORIGINS", "http://a.example\r\nX: y"),
    "TALL_CORS_ORIGINS with a path": ("TALL_CORS_ORIGINS", "https://a.example/lab"),
    # Session 12's probe (B10): blank meant no origin, turning off every browser read without a word.
    "TALL_CORS_ORIGINS blank": ("TALL_CORS_ORIGINS", " "),
    # PostgreSQL's schema to serve: on SQLite it was ignored without a word.
    "TALL_DATASET_VERSION without PostgreSQL": ("TALL_DATASET_VERSION", "d2847f7c36c72243"),
    # The second probe of session 8: a version that is none was exit 1 without naming the setting.
    "TALL_DATASET_VERSION not hex": ("TALL_DATASET_VERSION", "zzzz"),
    "TALL_DATASET_VERSION empty": ("TALL_DATASET_VERSION", ""),
    # The same probe: a file SQLite cannot open for writing (its journal beside it) was a traceback,
    # and URI query arguments a traceback or dropped with a warning.
    "DATABASE_URL a file in /proc": ("DATABASE_URL", "sqlite:////proc/self/status"),
    "DATABASE_URL with SQLite URI arguments": ("DATABASE_URL", "sqlite+pysqlite:///{tmp}/x.db?uri=true&mode=memory"),
    "DATABASE_URL with an argument dropped": ("DATABASE_URL", "sqlite:///{tmp}/x.db?mode=ro"),
    # Session 11's second probe (Q10): a name past the 255 bytes a file name may have, a NUL, a loop of
    # links on the way: each was a traceback (and a NUL cut libpq's connection string short).
    "TALL_FIXTURES_DIR a name too long": ("TALL_FIXTURES_DIR", "{tmp}/" + "b" * 300),
    "TALL_SOURCES_REGISTRY a name too long": ("TALL_SOURCES_REGISTRY", "{tmp}/" + "b" * 300),
    "TALL_COVERAGE_DIR a name too long": ("TALL_COVERAGE_DIR", "{tmp}/" + "b" * 300),
    "DATABASE_URL a name too long": ("DATABASE_URL", "sqlite:///{tmp}/" + "a" * 300 + ".db"),
    "DATABASE_URL a NUL in the file": ("DATABASE_URL", "sqlite:///{tmp}/%00x.db"),
    "DATABASE_URL a NUL in a PostgreSQL URL": (
        "DATABASE_URL",
        "postgresql+psycopg://postgres@127.0.0.1:{closed}/a%00b",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_a_bad_setting_stops_serve_in_one_line_naming_it(tmp_path: Path, case: str) -> None:
    name, value = BAD_SETTINGS[case]
    env = scratch_data(tmp_path)
    env[name] = value.format(tmp=tmp_path, closed=free_port())
    result = run_cli("serve", "--port", str(free_port()), env=env, timeout=TIMEOUT)
    _one_line(result, name)


@pytest.mark.parametrize(
    "command", [["serve"], ["build", "--out", "{tmp}/out"], ["validate"], ["mcp"]], ids=lambda c: c[0]
)
def test_a_misspelled_setting_is_refused_naming_the_nearest(tmp_path: Path, command: list[str]) -> None:
    """Session 11's third probe (T8): a TALL_ name that is no setting (TALL_CORS_ORIGIN for
    TALL_CORS_ORIGINS) was ignored without a word. The suite's own names, TALL_TEST_*, are left alone."""
    env = scratch_data(tmp_path) | {"TALL_CORS_ORIGIN": "https://lab.example", "TALL_TEST_ANYTHING": "x"}
    arguments = [word.format(tmp=tmp_path) for word in command]
    line = _one_line(run_cli(*arguments, env=env, timeout=TIMEOUT), "TALL_CORS_ORIGIN: no such setting")
    assert "did you mean TALL_CORS_ORIGINS?" in line and "TALL_TEST_ANYTHING" not in line


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("tall_cors_origin", "tall_cors_origin: no such setting, did you mean TALL_CORS_ORIGINS?"),
        ("Tall_Data_Licence", "Tall_Data_Licence: settings are named in capitals, as TALL_DATA_LICENCE"),
        # A bad value too, beside a good one in capitals: it was blamed on TALL_PORT (session 13's probe, FD1).
        ("tall_port", "tall_port: settings are named in capitals, as TALL_PORT"),
    ],
)
def test_a_setting_in_other_case_is_refused_not_read_or_ignored(tmp_path: Path, name: str, said: str) -> None:
    """Session 13's probe (FB5): settings were read in any case, but only capitals were checked for
    misspellings, so `tall_cors_origin=...` was ignored (CORS stayed `*`) and `Tall_Data_Licence` read."""
    port = str(free_port())
    env = scratch_data(tmp_path) | {"TALL_PORT": port} | {name: "https://lab.example"}  # the later one was read
    _one_line(run_cli("serve", "--port", port, env=env, timeout=TIMEOUT), said)


def test_names_under_the_tests_own_prefix_are_not_settings_and_not_refused(tmp_path: Path) -> None:
    env = scratch_data(tmp_path) | {"TALL_TEST_ANYTHING": "x"}
    result = run_cli("build", "--out", str(tmp_path / "out"), env=env, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("command", ["serve", "build"])
def test_an_empty_database_url_argument_is_refused_not_taken_as_none(tmp_path: Path, command: str) -> None:
    """Session 12's probe (B4): `serve --database-url ""` (an unset shell variable) built the fixtures
    into a private SQLite file and served it, where a PostgreSQL schema was meant."""
    result = run_cli(command, "--database-url", "", env=scratch_data(tmp_path), timeout=TIMEOUT)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "argument --database-url: must be a database URL" in result.stderr, result.stderr


@pytest.mark.parametrize("host", ["", " 127.0.0.1", "no-such-host.invalid"])
def test_a_bad_host_argument_is_named_as_the_argument(tmp_path: Path, host: str) -> None:
    """Session 10's probe (P10): `--host ''` was replaced by TALL_HOST's value and served, and a bad
    --host was reported as the setting TALL_HOST, which was not set."""
    result = run_cli("serve", "--host", host, "--port", str(free_port()), env=scratch_data(tmp_path), timeout=TIMEOUT)
    _one_line(result, "invalid --host: ")
    assert "TALL_HOST" not in result.stderr


@pytest.mark.parametrize(("named", "workers"), [("--port", "1"), ("--port", "2"), ("TALL_PORT", "1")])
def test_a_port_in_use_is_one_line_naming_it_before_the_application_is_made(
    tmp_path: Path, named: str, workers: str
) -> None:
    """Session 14's probe (GB6): a port another process listens on was found by uvicorn only after the
    application was made and its database opened: its multi-line error named neither TALL_PORT nor
    --port, and serve ended with status 3, the status that says the data changed."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        env = scratch_data(tmp_path) | ({"TALL_PORT": port} if named == "TALL_PORT" else {})
        arguments = ["--port", port] if named == "--port" else []
        result = run_cli("serve", "--host", "127.0.0.1", *arguments, "--workers", workers, env=env, timeout=TIMEOUT)
    line = _one_line(result, f"{named}: 127.0.0.1:{port} is in use")
    assert line.startswith("invalid --port" if named == "--port" else "invalid setting TALL_PORT"), line
    assert "serving" not in result.stdout, result.stdout  # refused before anything was built or opened


@pytest.mark.parametrize("kind", ["a file", "a FIFO", "unwritable"])
def test_build_out_that_cannot_be_written_is_one_line(tmp_path: Path, kind: str) -> None:
    env = scratch_data(tmp_path)
    out = tmp_path / "out"
    if kind == "a file":
        out.write_text("x")
    elif kind == "a FIFO":
        os.mkfifo(out)
    else:
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        out = blocker / "under-a-file"
    line = _one_line(run_cli("build", "--out", str(out), env=env, timeout=TIMEOUT), "--out")
    if kind != "unwritable":  # session 10's probe (L5): a FIFO was called a file
        what = "a regular file" if kind == "a file" else "a FIFO (named pipe)"
        assert line == f"build: --out {out} is {what}, not a directory", line


def test_build_names_the_file_it_cannot_write_not_its_directory(tmp_path: Path) -> None:
    # Session 10's probe (L5): the file's name taken by a directory was "cannot write into OUT".
    env = scratch_data(tmp_path)
    out = tmp_path / "out"
    built = built_file(out, env)
    built.unlink()
    built.mkdir()
    result = run_cli("build", "--out", str(out), env=env, timeout=TIMEOUT)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip() == f"build: cannot write {built} (Is a directory)"


def test_tall_database_file_alone_is_served(tmp_path: Path) -> None:
    env = scratch_data(tmp_path)
    database = built_file(tmp_path / "out", env)
    # No fixtures to fall back on: only the file can be what is served.
    with live_server(tmp_path, {"TALL_DATABASE_FILE": str(database), "TALL_FIXTURES_DIR": "/nonexistent"}) as server:
        version = httpx.get(server.base + "/v1/meta", timeout=30).json()["dataset_version"]
        assert database.name == f"tall-evidence-{version}.sqlite3"
        assert f"serving {database}" in server.output()


@pytest.mark.parametrize("command", [("build", "--out"), ("openapi", "--out"), ("serve", "--database")])
def test_an_empty_path_argument_is_refused_not_taken_for_the_working_directory(
    tmp_path: Path, command: tuple[str, str]
) -> None:
    result = run_cli(*command, "", env=scratch_data(tmp_path), timeout=TIMEOUT)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"argument {command[1]}: must name a file or directory" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("kind", ["a directory", "a FIFO"])
def test_serve_database_that_is_no_file_says_what_it_is(tmp_path: Path, kind: str) -> None:
    database = tmp_path / "served.sqlite3"
    if kind == "a directory":
        database.mkdir()
    else:
        os.mkfifo(database)
    result = run_cli("serve", "--database", str(database), "--port", str(free_port()), timeout=TIMEOUT)
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.strip() == f"serve: {database}: {kind}" + (
        ", not a file" if kind == "a directory" else " (named pipe), not a regular file"
    )


BUILT_FOR = "https://evidence.example.org"


@pytest.fixture(scope="module")
def built_for_a_public_url(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("public-url")
    return built_file(root / "out", {**scratch_data(root), "TALL_PUBLIC_URL": BUILT_FOR})


@pytest.mark.parametrize("command", ["serve", "mcp"])
def test_serving_a_file_under_another_public_url_is_refused(built_for_a_public_url: Path, command: str) -> None:
    other = "https://other.example.org"
    args = ("--port", str(free_port())) if command == "serve" else ()
    result = run_cli(
        command, "--database", str(built_for_a_public_url), *args, env={"TALL_PUBLIC_URL": other}, timeout=TIMEOUT
    )
    assert result.returncode == 2, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("invalid setting TALL_PUBLIC_URL: ")
    assert f"built with TALL_PUBLIC_URL={BUILT_FOR}, not {other}" in line and "build it again" in line
    assert result.stdout == ""  # the refusal is the one line: nothing said of serving the file first


def test_a_file_served_without_tall_public_url_is_cited_under_the_url_it_was_built_for(
    built_for_a_public_url: Path, tmp_path: Path
) -> None:
    with live_server(tmp_path, args=("--database", str(built_for_a_public_url), "--workers", "2")) as server:
        meta = httpx.get(server.base + "/v1/meta", timeout=30).json()
        figure = httpx.get(server.base + "/v1/outcomes?limit=1", timeout=30).json()["items"][0]
    assert figure["permalink"].startswith(BUILT_FOR + "/"), figure["permalink"]
    assert BUILT_FOR in meta["how_to_cite"], meta["how_to_cite"]
    assert "127.0.0.1:8000" not in meta["how_to_cite"] + meta["attribution"]


@pytest.mark.parametrize(
    "name",
    [
        "TALL_PREVIOUS_DATABASE_FILES",
        "TALL_DATABASE_FILE",
        "TALL_PREVIOUS_DATABASE_FILES_SHA256",
        "TALL_DATABASE_FILE_SHA256",
    ],
)
def test_files_and_digests_serve_would_overwrite_are_refused_next_to_database(
    built_for_a_public_url: Path, name: str
) -> None:
    """With --database, the environment's files were ignored silently, and the digests `serve` hands
    its workers are always its own: set anyway, each is refused (a well-formed value, so that only
    the conflict can be what is refused)."""
    value = {
        "TALL_PREVIOUS_DATABASE_FILES": str(built_for_a_public_url),
        "TALL_DATABASE_FILE": str(built_for_a_public_url),
        "TALL_PREVIOUS_DATABASE_FILES_SHA256": "[]",
        "TALL_DATABASE_FILE_SHA256": "0" * 64,
    }[name]
    args = ("--database", str(built_for_a_public_url), "--port", str(free_port()))
    result = run_cli("serve", *args, env={name: value}, timeout=TIMEOUT)
    _one_line(result, name)


def test_web_concurrency_sets_how_many_workers_serve(built_for_a_public_url: Path, tmp_path: Path) -> None:
    with live_server(tmp_path, {"WEB_CONCURRENCY": "2"}, args=("--database", str(built_for_a_public_url))) as server:
        assert len(worker_pids(server.process.pid)) == 2
        assert httpx.get(server.base + "/health", timeout=30).status_code == 200


def test_database_url_naming_a_built_file_is_refused_and_the_file_left_as_it_was(tmp_path: Path) -> None:
    """A fresh probe: serve loaded the fixtures into a built file another serve was serving, which broke it."""
    env = scratch_data(tmp_path)
    database = built_file(tmp_path / "out", env)
    before = database.read_bytes()
    result = run_cli(
        "serve", "--port", str(free_port()), env={**env, "DATABASE_URL": f"sqlite:///{database}"}, timeout=TIMEOUT
    )
    _one_line(result, "DATABASE_URL")
    assert f"serve --database {database}" in result.stderr.splitlines()[-1]
    assert database.read_bytes() == before


@pytest.mark.parametrize("given", ["previous files", "a file beside --database"])
def test_files_mcp_would_not_read_are_refused(built_for_a_public_url: Path, given: str) -> None:
    """`mcp` answers from one release: earlier files in the environment, or TALL_DATABASE_FILE beside
    --database, were ignored without a word (the MCP helper's note after session 8's probe)."""
    database = str(built_for_a_public_url)
    if given == "previous files":
        env, args, name = {"TALL_PREVIOUS_DATABASE_FILES": database, "TALL_DATABASE_FILE": database}, (), None
    else:
        env, args, name = {"TALL_DATABASE_FILE": database}, ("--database", database), "TALL_DATABASE_FILE"
    result = run_cli("mcp", *args, env=env, timeout=TIMEOUT)
    _one_line(result, name or "TALL_PREVIOUS_DATABASE_FILES")
    assert result.stdout == ""  # stdout is the protocol's channel


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres@127.0.0.1:{closed}/x", "sqlite:///{tmp}/x.db"])
def test_a_database_url_beside_serve_database_is_refused(
    built_for_a_public_url: Path, tmp_path: Path, url: str
) -> None:
    """Session 14's second probe (HB4): DATABASE_URL beside `serve --database FILE` was ignored without a
    word, as TALL_DATASET_VERSION beside a file would be (refused)."""
    env = {"DATABASE_URL": url.format(closed=free_port(), tmp=tmp_path)}
    args = ("--database", str(built_for_a_public_url), "--port", str(free_port()))
    line = _one_line(run_cli("serve", *args, env=env, timeout=TIMEOUT), "DATABASE_URL")
    assert "would be ignored; unset it, or serve without --database" in line


@pytest.mark.parametrize("value", ["", "zzzz", "D2847F7C36C72243"])
def test_a_dataset_version_argument_that_is_none_is_refused(value: str) -> None:
    """`--dataset-version ''` was taken as not given (the fixtures built and served); others exit 1."""
    result = run_cli("serve", "--database-url", "postgresql+psycopg://x@127.0.0.1:1/x", "--dataset-version", value)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "argument --dataset-version: must be a dataset version" in result.stderr.splitlines()[-1]


def test_database_url_naming_a_dangling_link_is_refused_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "created.sqlite3"
    link = tmp_path / "dangling.sqlite3"
    link.symlink_to(target)
    env = {**scratch_data(tmp_path), "DATABASE_URL": f"sqlite:///{link}"}
    result = run_cli("serve", "--port", str(free_port()), env=env, timeout=TIMEOUT)
    _one_line(result, "DATABASE_URL")
    assert "dangling symbolic link" in result.stderr and not target.parent.exists()


@pytest.mark.parametrize("kind", ["text", "zeros", "a file in /proc", "a new file in /proc"])
def test_database_url_naming_what_is_no_sqlite_database_is_one_line(tmp_path: Path, kind: str) -> None:
    """Session 11's probe (S11-8): a file that is no database, or a path the permission bits say is
    writable and is not (root, /proc), was two tracebacks at start-up and exit 3."""
    database = tmp_path / "data.db"
    if kind == "text":
        database.write_text("not sqlite")
    elif kind == "zeros":
        with database.open("wb") as sparse:
            sparse.truncate(3 * 2**30)
    else:
        database = Path("/proc/version" if kind == "a file in /proc" else "/proc/tall-evidence.db")
    env = {**scratch_data(tmp_path), "DATABASE_URL": f"sqlite:///{database}"}
    line = _one_line(run_cli("serve", "--port", str(free_port()), env=env, timeout=TIMEOUT), "DATABASE_URL")
    said = "cannot be written" if kind == "a new file in /proc" else "is not a SQLite database"
    assert line.startswith(f"invalid setting DATABASE_URL: {database} {said}"), line


@pytest.mark.parametrize(
    "command", ["build", "export", "validate with TALL_SPANS_FILE", "validate with TALL_SEEDS_TEXT_DIR"]
)
def test_a_path_too_long_to_look_at_is_one_line(tmp_path: Path, command: str) -> None:
    """Session 11's second probe (Q10): a path with a name past 255 bytes was a traceback."""
    long = tmp_path / ("b" * 300)
    env = scratch_data(tmp_path)
    if command in ("build", "export"):
        result = run_cli(command, "--out", str(long), env=env, timeout=TIMEOUT)
    else:
        setting = command.rsplit(" ", 1)[1]
        result = run_cli("validate", env={**env, setting: str(long)}, timeout=TIMEOUT)
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "File name too long" in result.stderr.splitlines()[-1], result.stderr[-2000:]


def test_database_url_set_twice_to_different_urls_is_refused(tmp_path: Path) -> None:
    """Session 11's second probe (Q13): with DATABASE_URL set, a TALL_DATABASE_URL was ignored unchecked."""
    env = {
        **scratch_data(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
        "TALL_DATABASE_URL": f"sqlite:///{tmp_path}",
    }
    line = _one_line(run_cli("serve", "--port", str(free_port()), env=env, timeout=TIMEOUT), "DATABASE_URL")
    assert "DATABASE_URL and TALL_DATABASE_URL are both set, to different URLs; set one" in line
    same = {**env, "TALL_DATABASE_URL": env["DATABASE_URL"]}
    assert run_cli("validate", env=same, timeout=TIMEOUT).returncode == 0
