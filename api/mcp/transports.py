"""Where the MCP server is reached: streamable HTTP on the application's own /mcp, and stdio.

Over HTTP the server is stateless and answers each POST with one JSON body: its tools only
read, so no session, stream or event store is needed, any worker can answer any request, and
the API's layers (security headers, request limits) see ordinary request/response pairs.
The SDK's DNS-rebinding guard is off: it protects servers that act on local resources with
the caller's rights, while this one serves public data to anyone, under any host name.

Every refusal of a POST is a JSON-RPC error object (`id` null), whether it is ours or the
SDK's: the SDK answers some (a wrong Content-Type, an unacceptable Accept) in plain text or
with no body, and takes `NaN` and `Infinity` for JSON and a message whose `id` is not a string
or an integer for a notification (answered 202, never answered again); and it answers a body that
is no JSON-RPC 2.0 message (a batch, `"jsonrpc": "1.0"`, no method) -32602 (Invalid params),
not -32600 (Invalid Request). The body is read here first, bounded, so those are refused before
the SDK sees them, and so is an MCP-Protocol-Version header naming a revision it does not speak
(it answered that with its newest revision's words about `params._meta`).

Over stdio the SDK's transport writes stdout, but its stdin is read here: a line at most
MAX_REQUEST_BYTES (the SDK's reader takes a line of any size), and a line that is no JSON-RPC
message answered with an error object, `id` null (the SDK's reader drops it unanswered).

The SDK (about half a second of CPU to import, a quarter of a process's start-up) is imported
and its server built on the first POST to /mcp, not at start-up: most processes that serve the
API (every `serve` worker, every test) never answer one.
"""

import contextlib
import functools
import json
import select
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import ExitStack, asynccontextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, BinaryIO, cast

import anyio
from anyio.abc import TaskGroup, TaskStatus
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from api.data_source import open_dataset
from api.render.problems import problem_response
from api.request_body import CLOSE_CONNECTION, BodyRefused, read_body
from api.settings import MCP_ALLOW, Settings
from api.state import AppState, Release
from models.problem import JSONRPC_INVALID_REQUEST, jsonrpc_refusal

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.shared.message import SessionMessage

MAX_REQUEST_BYTES = 256 * 1024
# The most request-body bytes a worker holds at once, across connections (a body from its first byte
# until it is answered): 1,500 connections each sending all but one byte of a 256 KiB body held
# 230 KiB apiece with no total (the ninth probe, D6). Past it, a new body is answered 503 at once.
MAX_BODY_BYTES_HELD = 32 * 1024 * 1024
"""A tool call is a few hundred bytes; nothing an agent sends needs more: the bound of a POST
body here and of a stdin line to `tall-evidence mcp` (its newline not counted)."""
SKIPPED_CHUNK = 64 * 1024
"""How much of a stdin line over the bound is read at a time while it is skipped."""
# A refused body's rest is never read: the connection is closed after the answer.
CLOSING = [(name.lower().encode(), value.encode()) for name, value in CLOSE_CONNECTION.items()]
PARSE_ERROR = -32700
INVALID_REQUEST = JSONRPC_INVALID_REQUEST
PROTOCOL_VERSION_HEADER = b"mcp-protocol-version"  # as ASGI names headers, in lower case


def jsonrpc_error(
    status: int, code: int, message: str, *, headers: Iterable[tuple[bytes, bytes]] = ()
) -> list[Message]:
    """The ASGI messages of a JSON-RPC error object answered with an HTTP status; `id` is null,
    as JSON-RPC 2.0 has it when the request's id could not be read."""
    body = json.dumps(jsonrpc_refusal(message, code), separators=(",", ":")).encode()
    kept = [(name, value) for name, value in headers if name.lower() not in (b"content-type", b"content-length")]
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*kept, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        },
        {"type": "http.response.body", "body": body},
    ]


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not JSON (RFC 8259 has no such number)")


def message_problem(body: bytes | str, *, malformed: bool = False) -> tuple[int, str] | None:
    """A body the SDK would take but JSON-RPC does not (NaN or Infinity, a request `id` that is not
    a string or an integer), or one that is no JSON-RPC 2.0 message object, which the SDK answers
    -32602 (Invalid params) where JSON-RPC 2.0 says -32600 (Invalid Request). What is JSON-RPC but
    not MCP (params a list) is left to the SDK, and so is malformed JSON unless `malformed`: over
    HTTP the SDK answers it -32700 itself, over stdio it drops it without a word."""
    try:
        message = json.loads(body, parse_constant=_not_json)
    except ValueError as exc:  # UnicodeDecodeError among them
        if malformed or "is not JSON" in str(exc):
            return PARSE_ERROR, f"Parse error: {exc}"
        return None
    except RecursionError:
        return (PARSE_ERROR, "Parse error: nested too deeply") if malformed else None
    problem = not_a_message(message)
    return None if problem is None else (INVALID_REQUEST, f"Invalid Request: {problem}")


class _Written(str):
    """A JSON number as it was written."""


def claimed_number_as_written(text: str) -> str:
    """A check_claim call whose `value` is a JSON number, with that value as the string it was written
    ('9e1', '90.000'); any other message as it is. The SDK reads a JSON number into a float, whose
    decimals are not those written (9e1 became 90.0, one decimal; 1e-9999999999999999999 became 0.0):
    the REST face reads the same claim from its text, and the verdict is the same on both."""
    try:
        message = json.loads(text, parse_float=_Written, parse_int=_Written, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return text  # refused elsewhere (message_problem), or the SDK's to answer
    params = message.get("params") if isinstance(message, dict) and message.get("method") == "tools/call" else None
    arguments = params.get("arguments") if isinstance(params, dict) and params.get("name") == "check_claim" else None
    if not isinstance(arguments, dict) or type(arguments.get("value")) is not _Written:
        return text
    arguments["value"] = str.__str__(arguments["value"])
    return json.dumps(_as_numbers(message))


def _as_numbers(value: object) -> object:
    """The parsed message with each number as JSON's reader makes it (an int, or a float)."""
    if type(value) is _Written:
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if isinstance(value, dict):
        return {key: _as_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_numbers(item) for item in value]
    return value


def _shown(value: object) -> str:
    """A value as JSON, cut short: it is echoed in an error, and a body may be 256 KiB."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:40] + "..."


def not_a_message(message: object) -> str | None:
    """What keeps a parsed body from being one JSON-RPC 2.0 request, notification or response."""
    if isinstance(message, list):
        # MCP took batches out in its 2025-06-18 revision, and the SDK takes none.
        return "a batch (a JSON array) is not taken: MCP has no batches; send each message in its own POST"
    if not isinstance(message, dict):
        return f"the body must be a JSON-RPC message object, not a JSON {type(message).__name__}"
    if message.get("jsonrpc") != "2.0":
        return f'"jsonrpc" must be "2.0", not {_shown(message.get("jsonrpc"))}'
    if "id" in message and (isinstance(message["id"], bool) or not isinstance(message["id"], str | int)):
        return f"id must be a string or an integer, not {_shown(message['id'])}"
    if "method" not in message:
        if "result" in message or "error" in message:
            return None  # a response to the server (it sends no requests, and the SDK accepts it with 202)
        return 'a request must have a "method"'
    if not isinstance(message["method"], str):
        return f'"method" must be a string, not {_shown(message["method"])}'
    if "params" in message and not isinstance(message["params"], dict | list):
        return f'"params" must be an object or an array, not {_shown(message["params"])}'
    return None


def protocol_version_problem(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """An MCP-Protocol-Version header naming a revision the SDK does not serve, refused in words naming
    it and those served (400, as the streamable HTTP transport has it). The SDK routes any version it
    does not know to its newest revision's handler, which answered -32602 about `params._meta`,
    naming neither (session 13's probe, FB11)."""
    sent = [value.decode("latin-1") for name, value in headers if name == PROTOCOL_VERSION_HEADER]
    if not sent:
        return None  # the SDK takes 2025-03-26, as the transport has it
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

    supported = (*HANDSHAKE_PROTOCOL_VERSIONS, *MODERN_PROTOCOL_VERSIONS)
    for version in sent:
        if version not in supported:
            return (
                f"Unsupported protocol version: {_shown(version)} (the MCP-Protocol-Version header); "
                f"supported: {', '.join(supported)}"
            )
    return None


def replaying(body: bytes, receive: Receive) -> Receive:
    """receive() as if the body had not been read yet."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _answer(send: Send, messages: list[Message]) -> None:
    for message in messages:
        await send(message)


def json_errors(send: Send) -> Send:
    """send() with every refusal not in JSON (the SDK's plain-text and empty ones) put into a JSON-RPC error object."""
    held: list[Message] = []
    body = bytearray()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if message["status"] >= 400 and not headers.get(b"content-type", b"").startswith(b"application/json"):
                held.append(message)
                return
        elif held and message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            status = held[0]["status"]
            text = body.decode("utf-8", "replace").strip() or HTTPStatus(status).phrase
            await _answer(send, jsonrpc_error(status, INVALID_REQUEST, text, headers=held[0].get("headers", [])))
            return
        await send(message)

    return sending


class McpHttp:
    """The ASGI endpoint for /mcp; running() holds, while the application runs, the task group in which
    the SDK's session manager is started on the first POST (a fresh one each time the application starts).

    state: the loaded dataset, when a tool is called.
    body_timeout: seconds the body may take to arrive once the head has (settings.body_timeout): a
    client that trickles it in, a byte every few seconds, would otherwise hold its connection for good.
    on_database_error: told of a database error a tool met (the application stops serving a changed file).
    """

    def __init__(
        self,
        state: Callable[[], AppState],
        *,
        body_timeout: float,
        on_database_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.state = state
        self.body_timeout = body_timeout
        self.on_database_error = on_database_error
        self._group: TaskGroup | None = None
        self._server: MCPServer | None = None
        self._starting: anyio.Lock | None = None
        self._held = 0  # request-body bytes reserved by the requests under way (MAX_BODY_BYTES_HELD)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            self._group, self._server, self._starting = group, None, anyio.Lock()
            try:
                yield
            finally:
                self._group = self._server = self._starting = None
                group.cancel_scope.cancel()

    async def _started(self) -> "MCPServer":
        """The server whose session manager is running, started by the first caller."""
        if self._group is None or self._starting is None:
            raise RuntimeError("the MCP endpoint is called outside the application's lifespan")
        async with self._starting:
            if self._server is None:
                self._server = await self._group.start(self._serve)
        return self._server

    async def _serve(self, *, task_status: TaskStatus["MCPServer"]) -> None:
        from mcp.server.transport_security import TransportSecuritySettings

        from api.mcp.tools import build_mcp_server

        told = {} if self.on_database_error is None else {"on_database_error": self.on_database_error}
        server = build_mcp_server(self.state, **told)
        server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            max_request_body_size=MAX_REQUEST_BYTES,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with server.session_manager.run():
            task_status.started(server)
            await anyio.sleep_forever()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            # No server-initiated messages and no sessions: the optional GET stream would only hold a
            # connection open for good, and DELETE has no session to end. The protocol allows a 405.
            detail = "The MCP endpoint takes JSON-RPC messages by POST (streamable HTTP, stateless)."
            await problem_response(Request(scope), 405, detail, headers={"Allow": MCP_ALLOW})(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        reserved = min(int(declared), MAX_REQUEST_BYTES) if declared.isdigit() else MAX_REQUEST_BYTES
        if self._held + reserved > MAX_BODY_BYTES_HELD:
            detail = "Server busy: too many request bodies are arriving at once; retry in a moment"
            busy = [*CLOSING, (b"retry-after", b"1")]
            await _answer(send, jsonrpc_error(503, INVALID_REQUEST, detail, headers=busy))
            return
        self._held += reserved
        try:
            await self._answer_body(scope, receive, send)
        finally:
            self._held -= reserved

    async def _answer_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(scope, receive, limit=MAX_REQUEST_BYTES, seconds=self.body_timeout)
        except BodyRefused as exc:
            detail = f"Invalid Request: {exc.reason}"
            await _answer(send, jsonrpc_error(exc.status, INVALID_REQUEST, detail, headers=CLOSING))
            return
        if (problem := message_problem(body)) is not None:
            await _answer(send, jsonrpc_error(400, *problem))
            return
        if (unsupported := protocol_version_problem(scope["headers"])) is not None:
            await _answer(send, jsonrpc_error(400, INVALID_REQUEST, unsupported))
            return
        server = await self._started()
        with contextlib.suppress(UnicodeDecodeError):  # JSON in UTF-16 or -32: the SDK's to read as it is
            body = claimed_number_as_written(body.decode("utf-8")).encode("utf-8")
        await server.session_manager.handle_request(scope, replaying(body, receive), json_errors(send))


class LineRefused(Exception):
    """A stdin line that is no message the server takes: answered with a JSON-RPC error, `id` null."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def next_line(stream: BinaryIO, limit: int) -> bytes | None:
    """The next line of stream, newline included, if at most limit bytes come before it; None at the
    end. A longer line is read to its end a chunk at a time, never held whole, and raises LineRefused."""
    line = stream.readline(limit + 1)
    if not line:
        return None
    if len(line) > limit and not line.endswith(b"\n"):
        while line and not line.endswith(b"\n"):
            line = stream.readline(SKIPPED_CHUNK)
        raise LineRefused(
            INVALID_REQUEST, f"Invalid Request: the line is over {MAX_REQUEST_BYTES} bytes, so it was not read"
        )
    return line


def checked_line(line: bytes) -> str:
    """A stdin line as the SDK's reader takes it, once it is a JSON-RPC message: the checks of a POST
    body, malformed JSON, and what the SDK's parser refuses (which its reader drops unanswered)."""
    from mcp_types import jsonrpc_message_adapter

    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"Parse error: the line is not UTF-8 ({exc.reason} at byte {exc.start})"
        raise LineRefused(PARSE_ERROR, reason) from None
    if (problem := message_problem(text, malformed=True)) is not None:
        raise LineRefused(*problem)
    try:
        jsonrpc_message_adapter.validate_json(text, by_name=False)
    except ValidationError as exc:
        reason = exc.errors(include_input=False)[0]["msg"]
        raise LineRefused(INVALID_REQUEST, f"Invalid Request: not a JSON-RPC message ({reason})") from None
    return claimed_number_as_written(text)


# Requests read from stdin and not yet answered before stdin stops being read: the bound of one HTTP
# connection's pipelined requests (MAX_PENDING_REQUESTS, api/server.py, which may import only models).
MAX_UNANSWERED_REQUESTS = 8
# Requests read from stdin and waiting for one of those places (each line at most MAX_REQUEST_BYTES); past
# them stdin is not read, so what the client writes waits in the pipe, as an HTTP connection's pipelined
# requests wait in the socket. Read ahead of the answers without a bound, a client that wrote tool calls and
# did not read them grew the process by 6.5 MiB a second (session 15's probe, JB8). Read on while the places
# are taken, so the end of stdin is seen: stopped there, 8 calls stuck on a database that stopped answering
# kept `mcp` from ever seeing its client close stdin (KB1).
MAX_QUEUED_REQUESTS = 16


class Unanswered:
    """The client's requests not answered yet, as read from stdin and written to stdout, by id: a count per id,
    as a client may reuse one (counted once, a loop of requests of one id passed the bound: session 15's
    probe, KB4)."""

    def __init__(self) -> None:
        self.ids: Counter[str | int] = Counter()
        self.none = anyio.Event()
        self.none.set()
        self._answered = anyio.Event()
        self.answered = 0
        """Answers written so far."""

    def count(self) -> int:
        return self.ids.total()

    async def room(self) -> None:
        """Returns once fewer than MAX_UNANSWERED_REQUESTS requests are unanswered."""
        while self.count() >= MAX_UNANSWERED_REQUESTS:
            self._answered = anyio.Event()
            await self._answered.wait()

    def read(self, line: str) -> None:
        """Notes a request line (one with a method and an id), and a cancellation as its request's answer."""
        message = json.loads(line)
        if not isinstance(message, dict) or "method" not in message:
            return
        if isinstance(request_id := message.get("id"), str | int):
            self.ids[_correlated(request_id)] += 1
            if self.none.is_set():
                self.none = anyio.Event()
        elif message["method"] == "notifications/cancelled":  # the SDK answers a cancelled request with nothing
            params = message.get("params")
            self.written(params.get("requestId") if isinstance(params, dict) else None)

    def written(self, request_id: object) -> None:
        self.answered += 1
        if isinstance(request_id, str | int) and self.ids[key := _correlated(request_id)] > 0:
            self.ids[key] -= 1
            if not self.ids[key]:
                del self.ids[key]
        self._answered.set()
        if not self.ids:
            self.none.set()


def _correlated(request_id: str | int) -> str | int:
    """The id as the SDK correlates it: "7" and 7 are one. A cancellation naming 101 as "101" cancels the call,
    which is never answered then, and its place stayed taken: 8 such and the session answered nothing more
    (session 15's probe, LB1)."""
    from mcp.shared.dispatcher import coerce_request_id

    return coerce_request_id(request_id)


def _request_id(message: str) -> str | int | None:
    """The id of a request line (one with a method and an id); None for a notification or an answer."""
    parsed = json.loads(message)
    if isinstance(parsed, dict) and "method" in parsed and isinstance(request_id := parsed.get("id"), str | int):
        return request_id
    return None


def _cancellation(message: str) -> bool:
    parsed = json.loads(message)
    return isinstance(parsed, dict) and parsed.get("method") == "notifications/cancelled" and "id" not in parsed


async def _read_stdin(
    stdin: BinaryIO,
    *,
    queue: MemoryObjectSendStream[str],
    lines: MemoryObjectSendStream[str],
    answer: Callable[["SessionMessage"], Awaitable[None]],
    unanswered: Unanswered,
    grace: float,
) -> int:
    """Lines of stdin that are messages, each at most MAX_REQUEST_BYTES, until its end: each on to queue, but a
    cancellation straight to lines (the SDK), so a call stuck behind the bound can be cancelled; an error
    answered for every other line but a blank one; the number of requests it answered "Connection closed" (a
    client closing stdin with the queue full). The SDK's own reader takes lines of any size (a 300 MiB line
    held 711 MiB) and drops those it cannot parse without an answer."""
    from mcp.shared.message import SessionMessage
    from mcp_types import ErrorData, JSONRPCError

    while True:
        try:
            line = await anyio.to_thread.run_sync(next_line, stdin, MAX_REQUEST_BYTES, abandon_on_cancel=True)
            if line is None:
                return 0
            if not line.strip():
                continue
            message = checked_line(line)
            if _cancellation(message):
                unanswered.read(message)
                await lines.send(message)
            elif not await _queued_unless_hung_up(queue, message, stdin, unanswered=unanswered, grace=grace):
                # The client closed stdin with the queue full: what it wrote after this is not read.
                return await _never_handed_on([message], answer)
        except LineRefused as refused:
            error = ErrorData(code=refused.code, message=refused.message)
            await answer(SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error)))


async def _queued_unless_hung_up(
    queue: MemoryObjectSendStream[str], message: str, stdin: BinaryIO, *, unanswered: Unanswered, grace: float
) -> bool:
    """Whether message was queued; False if, the queue being full, the client closed stdin and no request was
    answered for grace seconds since. Blocked there, the end of stdin was not seen while requests stuck on the
    database held every place (KB1). A closed pipe may still hold requests: while answers come, it is read on
    (given up at its closing, a client piping 300 requests and closing got 25 answers: LB4)."""
    try:
        queue.send_nowait(message)
        return True
    except anyio.WouldBlock:
        pass
    stop = threading.Event()
    queued = False
    async with anyio.create_task_group() as group:

        async def send() -> None:
            nonlocal queued
            await queue.send(message)
            queued = True
            group.cancel_scope.cancel()

        async def watch() -> None:
            await anyio.to_thread.run_sync(_hung_up, stdin, stop, abandon_on_cancel=True)
            while True:  # hung up: wait on while answers come
                answered = unanswered.answered
                await anyio.sleep(grace)
                if unanswered.answered == answered:
                    group.cancel_scope.cancel()
                    return

        group.start_soon(send)
        group.start_soon(watch)
    stop.set()
    return queued


def _hung_up(stdin: BinaryIO, stop: threading.Event) -> None:
    """Returns once the other end of stdin (a pipe or a socket) is closed, or stop is set; a file or a
    terminal has no such end, and only stop ends the wait."""
    try:
        descriptor = stdin.fileno()
    except (OSError, ValueError):
        stop.wait()
        return
    watching = select.poll()
    watching.register(descriptor, select.POLLHUP | select.POLLRDHUP)
    while not stop.is_set():
        if any(events & (select.POLLHUP | select.POLLRDHUP | select.POLLERR) for _, events in watching.poll(200)):
            return


async def _dispatch(
    queue: "MemoryObjectReceiveStream[str]",
    lines: MemoryObjectSendStream[str],
    answer: Callable[["SessionMessage"], Awaitable[None]],
    *,
    unanswered: Unanswered,
) -> None:
    """The queued messages on to the SDK in order, each once fewer than MAX_UNANSWERED_REQUESTS requests are
    unanswered (taken from the queue only then, so none is held outside it). A request whose id one not yet
    answered has is refused, as JSON-RPC has ids unique: the SDK holds one call per id, so a cancellation of it
    freed two places while the older call ran on, uncounted (session 15's probe, LB2)."""
    from mcp.shared.message import SessionMessage
    from mcp_types import ErrorData, JSONRPCError

    while True:
        await unanswered.room()
        try:
            message = await queue.receive()
        except anyio.EndOfStream:
            return
        request_id = _request_id(message)
        if request_id is not None and _correlated(request_id) in unanswered.ids:
            reason = f"Invalid Request: the id {request_id!r} is that of a request not yet answered"
            error = ErrorData(code=INVALID_REQUEST, message=reason)
            await answer(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error)))
            continue
        unanswered.read(message)
        await lines.send(message)


async def _tally_answers(
    answers: "MemoryObjectReceiveStream[SessionMessage]",
    stdout: "MemoryObjectSendStream[SessionMessage]",
    unanswered: Unanswered,
) -> None:
    """The server's messages on to stdout, each answer to a request noted; stdout closed after the last (the
    SDK's writer ends then)."""
    from mcp_types import JSONRPCError, JSONRPCResponse

    async with answers, stdout:
        async for message in answers:
            await stdout.send(message)
            if isinstance(message.message, JSONRPCResponse | JSONRPCError):
                unanswered.written(message.message.id)


async def _stdio_session(server: "MCPServer", stdin: BinaryIO, grace: float) -> int:
    """One session over stdin and stdout, as the SDK's `run("stdio")`, with stdin read by _read_stdin; the
    number of requests it left unanswered. Once the client closes stdin, the requests still running get
    grace seconds (TALL_SHUTDOWN_TIMEOUT) to be answered; the SDK then answers the rest "Connection closed".
    It did so at once, so a client writing its requests and closing stdin got no answer (session 15's probe,
    JB1), and the process outlived its client while a call's thread was stuck on a PostgreSQL that had stopped
    answering (the command now exits without such threads, api.cli)."""
    from mcp.server.stdio import stdio_server
    from mcp.shared.message import SessionMessage

    checked, lines = anyio.create_memory_object_stream[str](0)
    unanswered = Unanswered()
    left: list[int] = []
    # The SDK's transport reads its stdin by `async for line in stdin`: a stream of the checked lines does.
    async with stdio_server(stdin=cast("anyio.AsyncFile[str]", lines)) as (read_stream, write_stream):
        async with anyio.create_task_group() as group:

            async def read_then_wait() -> None:
                async with checked:
                    queue, queued = anyio.create_memory_object_stream[str](MAX_QUEUED_REQUESTS)
                    async with anyio.create_task_group() as dispatching:
                        dispatching.start_soon(
                            functools.partial(_dispatch, queued, checked, write_stream.send, unanswered=unanswered)
                        )
                        async with queue:
                            closed = await _read_stdin(
                                stdin,
                                queue=queue,
                                lines=checked,
                                answer=write_stream.send,
                                unanswered=unanswered,
                                grace=grace,
                            )
                        # The end of stdin: what was read gets grace seconds to be handed on and answered.
                        with anyio.move_on_after(grace):
                            while queued.statistics().current_buffer_used:
                                await anyio.sleep(0.05)
                            await unanswered.none.wait()
                        dispatching.cancel_scope.cancel()
                    left.append(
                        closed + unanswered.count() + await _never_handed_on(_still_queued(queued), write_stream.send)
                    )

            group.start_soon(read_then_wait)
            answers, tally = anyio.create_memory_object_stream[SessionMessage](0)
            async with anyio.create_task_group() as forwarding:
                forwarding.start_soon(_tally_answers, tally, write_stream, unanswered)
                async with answers:
                    # MCPServer runs stdio only on the SDK's own reader; its low-level server takes any streams.
                    lowlevel = server._lowlevel_server
                    await lowlevel.run(read_stream, answers, lowlevel.create_initialization_options())
            group.cancel_scope.cancel()
    return left[0] if left else 0


def _still_queued(queued: "MemoryObjectReceiveStream[str]") -> list[str]:
    messages = []
    while True:
        try:
            messages.append(queued.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            return messages


async def _never_handed_on(messages: list[str], answer: Callable[["SessionMessage"], Awaitable[None]]) -> int:
    """Answers each request of messages "Connection closed", as the SDK answers those it holds; how many."""
    from mcp.shared.message import SessionMessage
    from mcp_types import CONNECTION_CLOSED, ErrorData, JSONRPCError

    count = 0
    for message in messages:
        if (request_id := _request_id(message)) is not None:
            error = ErrorData(code=CONNECTION_CLOSED, message="Connection closed")
            await answer(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error)))
            count += 1
    return count


def serve_stdio(settings: Settings) -> int:
    """Answer MCP over stdin/stdout until the client closes stdin, and the requests then running for at most
    TALL_SHUTDOWN_TIMEOUT seconds more; how many were left unanswered. The dataset is opened first, as
    `serve` opens it: a file or fixtures that cannot be served raise here (BuildFileError, FixtureError),
    before the SDK's task groups, which would wrap them in an exception group, and before any line is read."""
    from api.mcp.tools import build_mcp_server

    with ExitStack() as stack:
        database, meta = open_dataset(settings, stack)
        state = AppState(
            releases=(Release(database=database, meta=meta),),
            fhir_canonical_base=settings.fhir_canonical_base,
            body_timeout=settings.body_timeout,
        )
        return anyio.run(_stdio_session, build_mcp_server(lambda: state), sys.stdin.buffer, settings.shutdown_timeout)
