"""Issue 21 (fresh probe): every refusal of a POST to /mcp is a JSON-RPC error object, over a real socket.

Before, the SDK answered a wrong Content-Type and a body over the limit in plain text (400,
413) and an unacceptable Accept with no body, and took `"id": NaN` (not JSON) or an id that is
neither a string nor an integer for a notification: 202 and no answer ever.
"""

import json
import socket
import time

import httpx
import pytest

from api.mcp.transports import MAX_REQUEST_BYTES
from api.version import api_version
from tests.http.live import HOST, SHORT_BODY_SECONDS, LiveServer, split_response

JSON = {"Content-Type": "application/json", "Accept": "application/json"}
MODERN = "2026-07-28"  # a protocol revision the SDK routes to its stateless handler


def _error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    answer = response.json()
    assert answer["jsonrpc"] == "2.0" and answer["id"] is None, answer
    assert answer["error"]["code"] == code, answer
    message: str = answer["error"]["message"]
    assert message, answer
    return message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_non_json_number_is_a_parse_error_not_a_notification(http: httpx.Client, constant: str) -> None:
    body = f'{{"jsonrpc":"2.0","id":{constant},"method":"ping"}}'
    assert constant in _error(http.post("/mcp", content=body, headers=JSON), 400, -32700)


@pytest.mark.parametrize("request_id", [1.5, True, None, {}, [1]])
def test_an_id_that_is_not_a_string_or_integer_is_an_invalid_request(http: httpx.Client, request_id: object) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"})
    assert "id must be a string or an integer" in _error(http.post("/mcp", content=body, headers=JSON), 400, -32600)


@pytest.mark.parametrize("request_id", [7, "seven"])
def test_a_well_formed_request_is_still_answered(http: httpx.Client, request_id: object) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "ping"})
    response = http.post("/mcp", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json() == {"jsonrpc": "2.0", "id": request_id, "result": {}}


def test_a_notification_is_still_accepted(http: httpx.Client) -> None:
    body = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert http.post("/mcp", content=body, headers=JSON).status_code == 202


def test_a_body_over_the_limit_is_a_json_rpc_error(http: httpx.Client) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "y" * MAX_REQUEST_BYTES}})
    assert str(MAX_REQUEST_BYTES) in _error(http.post("/mcp", content=body, headers=JSON), 413, -32600)


def test_a_body_over_the_limit_without_a_declared_length_is_refused_too(server: LiveServer) -> None:
    def chunks():
        yield b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'
        for _ in range(MAX_REQUEST_BYTES // 4096 + 1):
            yield b"y" * 4096

    with httpx.Client(base_url=server.base, timeout=30) as client:
        response = client.post("/mcp", content=chunks(), headers=JSON)  # chunked: no Content-Length
    _error(response, 413, -32600)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain", "Accept": "application/json"},
        {"Content-Type": "application/json", "Accept": "text/html"},
        {"Content-Type": "application/json", "Accept": "text/html", "MCP-Protocol-Version": MODERN},
    ],
    ids=["content-type", "accept", "accept-modern"],
)
def test_the_sdks_own_refusals_are_json_rpc_errors(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.post("/mcp", content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', headers=headers)
    assert response.status_code in (400, 406, 415), response.text
    _error(response, response.status_code, -32600)
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_body_that_never_arrives_is_answered_408_and_closed(short_server: LiveServer) -> None:
    head = (
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    answer = short_server.raw(head.encode() + b'{"jsonrpc"', timeout=SHORT_BODY_SECONDS + 20)
    status, headers, body = split_response(answer)
    assert status == 408, answer[:500]
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == -32600


# Session 7's probe: these were answered -32602 (Invalid params) with the SDK's pydantic dump,
# where JSON-RPC 2.0 says -32600 (Invalid Request): the body is no Request object at all.
NOT_A_REQUEST = {
    "a batch": ([{"jsonrpc": "2.0", "id": 1, "method": "ping"}], "batch"),
    "an empty batch": ([], "batch"),
    "jsonrpc 1.0": ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
    "no jsonrpc member": ({"id": 1, "method": "ping"}, '"jsonrpc" must be "2.0"'),
    "a string": ("ping", "not a JSON str"),
    "no method": ({"jsonrpc": "2.0", "id": 1}, '"method"'),
    "a method that is a number": ({"jsonrpc": "2.0", "id": 1, "method": 5}, '"method" must be a string'),
    "params a number": ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": 5}, '"params"'),
}


@pytest.mark.parametrize("case", sorted(NOT_A_REQUEST))
def test_a_body_that_is_no_json_rpc_request_is_an_invalid_request(http: httpx.Client, case: str) -> None:
    message, said = NOT_A_REQUEST[case]
    assert said in _error(http.post("/mcp", content=json.dumps(message), headers=JSON), 400, -32600)


def test_a_long_value_is_not_echoed_whole(http: httpx.Client) -> None:
    body = json.dumps({"jsonrpc": "x" * 100_000, "id": 1, "method": "ping"})
    assert len(_error(http.post("/mcp", content=body, headers=JSON), 400, -32600)) < 200


def test_params_that_are_json_rpc_but_not_mcp_are_still_the_sdks_invalid_params(http: httpx.Client) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": [1]})
    _error(http.post("/mcp", content=body, headers=JSON), 400, -32602)


def test_a_tool_call_is_still_answered(http: httpx.Client) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {}})
    response = http.post("/mcp", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == 4 and response.json()["result"]["tools"], response.text


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}},
}


def test_initialize_names_the_server_with_the_softwares_version(http: httpx.Client) -> None:
    """Session 13's probe, FB10: serverInfo named the server with an empty version."""
    response = http.post("/mcp", json=INITIALIZE, headers=JSON)
    assert response.status_code == 200, response.text
    version = http.get("/v1/meta").json()["api_version"]
    assert version == api_version() and version
    assert response.json()["result"]["serverInfo"] == {"name": "tall-evidence", "version": version}


TOOLS_LIST = b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}'


# Session 13's probe, FB11: these were answered -32602 with the SDK's words about `params._meta`,
# naming neither the header nor the version sent. An empty value is no version either.
@pytest.mark.parametrize("sent", ["1999-01-01", "2099-01-01", "garbage", ""])
def test_an_unsupported_protocol_version_header_is_refused_naming_it(http: httpx.Client, sent: str) -> None:
    response = http.post("/mcp", content=TOOLS_LIST, headers={**JSON, "MCP-Protocol-Version": sent})
    message = _error(response, 400, -32600)
    assert message == (
        f'Unsupported protocol version: "{sent}" (the MCP-Protocol-Version header); '
        f"supported: 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, {MODERN}"
    )


@pytest.mark.parametrize("sent", ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", None])
def test_a_supported_protocol_version_header_is_served(http: httpx.Client, sent: str | None) -> None:
    headers = JSON if sent is None else {**JSON, "MCP-Protocol-Version": sent}
    response = http.post("/mcp", content=TOOLS_LIST, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == 2 and response.json()["result"]["tools"], response.text


def test_the_modern_revision_is_served_by_the_sdk_with_its_envelope(http: httpx.Client) -> None:
    """That revision's messages carry their version in `params._meta`: one without it is the SDK's to refuse."""
    headers = {**JSON, "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"}
    bare = http.post("/mcp", content=TOOLS_LIST, headers=headers)
    assert "params._meta" in bare.json()["error"]["message"], bare.text
    envelope = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {"_meta": envelope}}
    response = http.post("/mcp", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["result"]["tools"], response.text


# Session 8's probe (P13): prompts/get of an unknown prompt was answered with error code 0 (no JSON-RPC
# code) and logged two chained tracebacks per request. Unknown names of each kind are now alike.
UNKNOWN_NAMES = {
    "prompt": ("prompts/get", {"name": "no-such-prompt"}, "no-such-prompt"),
    "tool": ("tools/call", {"name": "no_such_tool", "arguments": {}}, "no_such_tool"),
    "resource": ("resources/read", {"uri": "tall://no-such-resource"}, "tall://no-such-resource"),
}


@pytest.mark.parametrize("kind", sorted(UNKNOWN_NAMES))
def test_an_unknown_name_is_invalid_params_and_logs_nothing(server: LiveServer, http: httpx.Client, kind: str) -> None:
    method, params, named = UNKNOWN_NAMES[kind]
    before = server.output()
    for request_id in range(3):
        body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        response = http.post("/mcp", content=body, headers=JSON)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["id"] == request_id and answer["error"]["code"] == -32602, answer
        assert named in answer["error"]["message"], answer
    assert http.get("/health").status_code == 200  # a request after them, so anything they logged is written
    logged = server.output()[len(before) :]
    assert "Traceback" not in logged and method not in logged, logged[-3000:]


def test_bodies_held_across_connections_are_bounded(short_server: LiveServer) -> None:
    """Session 12's ninth probe (D6): 1,500 connections each sending all but one byte of a 256 KiB body
    held 230 KiB apiece, with no total. Past MAX_BODY_BYTES_HELD a new body is answered 503 at once."""
    from api.mcp.transports import MAX_BODY_BYTES_HELD

    head = (
        b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n" % MAX_REQUEST_BYTES
    )
    held = []
    try:
        for _ in range(MAX_BODY_BYTES_HELD // MAX_REQUEST_BYTES):
            sock = socket.create_connection((HOST, short_server.port), timeout=10)
            sock.sendall(head + b"{" * 1000)  # a body begun, never finished
            held.append(sock)
        time.sleep(0.5)  # each has reached the endpoint and reserved its body
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        refused = httpx.post(f"{short_server.base}/mcp", content=body, headers=JSON, timeout=30)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1", refused.text
        assert refused.json()["error"]["message"].startswith("Server busy"), refused.text
    finally:
        for sock in held:
            sock.close()
    # Given back as each body ends: a body never finished, at its deadline (2 s on this server).
    deadline = time.monotonic() + SHORT_BODY_SECONDS + 15
    while True:
        body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        answered = httpx.post(f"{short_server.base}/mcp", content=body, headers=JSON, timeout=30)
        if answered.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answered.status_code == 200, answered.text
