"""Every documented bound, exercised just inside and just outside over a real socket.

The numbers are the README's (Limits), written here, not read from the code under test: a
bound raised or lowered in the code fails these tests. Requests go out as raw bytes on a
socket, so no client limit of its own (URL length, header size) stands in the way.
"""

import json

import pytest

from tests.http.live import LiveServer, split_response

# The documented bounds (README, Limits).
HEAD_BYTES = 16 * 1024
QUERY_BYTES = 2048
RANGES = {
    # parameter: (path, lowest accepted, highest accepted)
    "limit": ("/v1/studies", 1, 500),
    "offset": ("/v1/studies", 0, 1_000_000),
    "min_patients": ("/v1/studies", 0, 1_000_000),
    "year": ("/v1/studies", 1000, 9999),
    "age": ("/v1/studies", 0, 120),
    "min_grade": ("/v1/adverse-events", 1, 5),
}
Q_CHARACTERS = (1, 200)
ID_CHARACTERS = 200


def _get(server: LiveServer, target: str, *, headers: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    request = b"GET " + target.encode("ascii") + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n"
    return split_response(server.raw(request, timeout=30))


def _refused(server: LiveServer, target: str, status: int, *, headers: bytes = b"") -> dict[str, object]:
    got, response_headers, body = _get(server, target, headers=headers)
    assert got == status, (target[:80], got, body[:300])
    assert response_headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize("parameter", sorted(RANGES))
def test_numeric_parameters_at_and_past_each_end_of_their_range(server: LiveServer, parameter: str) -> None:
    path, low, high = RANGES[parameter]
    for inside in (low, high):
        status, _, body = _get(server, f"{path}?{parameter}={inside}")
        assert status == 200, (parameter, inside, body[:300])
    for outside in (low - 1, high + 1):
        problem = _refused(server, f"{path}?{parameter}={outside}", 422)
        locations = [str(e["location"]) for e in problem["errors"]]  # type: ignore[attr-defined]
        assert len(locations) == 1 and locations[0].startswith(f"query.{parameter}"), locations


def test_search_words_of_the_shortest_and_longest_length(server: LiveServer) -> None:
    shortest, longest = Q_CHARACTERS
    for length in (shortest, longest):
        assert _get(server, "/v1/studies?q=" + "a" * length)[0] == 200, length
    for length in (shortest - 1, longest + 1):
        _refused(server, "/v1/studies?q=" + "a" * length, 422)


def _repeated_ids(size: int) -> str:
    """A query of exactly size bytes: source_id repeated, each a well-formed id naming no document."""
    prefix, parts = "source_id=", []
    left = size
    while left > 0:
        left -= 1 if parts else 0  # the '&' before this part
        # A whole part of 110 bytes, unless what would be left after it could not hold another one.
        part = len(prefix) + 100 if left - (len(prefix) + 100) > len(prefix) + 1 else left
        parts.append(prefix + "a" * (part - len(prefix)))
        left -= part
    return "&".join(parts)


def test_query_string_of_exactly_the_bound_is_served_and_one_byte_more_is_414(server: LiveServer) -> None:
    # source_id may be repeated, so the query is declared and valid at any length (each id at most 200).
    at_bound = _repeated_ids(QUERY_BYTES)
    assert len(at_bound) == QUERY_BYTES
    status, _, body = _get(server, "/v1/studies?" + at_bound)
    assert status == 200, body[:300]
    assert json.loads(body)["total"] == 0
    problem = _refused(server, "/v1/studies?" + at_bound + "a", 414)
    assert str(QUERY_BYTES + 1) in str(problem["detail"])


def test_path_ids_of_the_longest_length_are_looked_up_and_longer_ones_refused(server: LiveServer) -> None:
    status, _, _ = _get(server, "/v1/studies/" + "a" * ID_CHARACTERS)
    assert status == 404  # a well-formed id that names no study
    _refused(server, "/v1/studies/" + "a" * (ID_CHARACTERS + 1), 422)


def test_request_head_within_the_bound_is_served_and_past_it_is_431(server: LiveServer) -> None:
    def padded(size: int) -> bytes:
        return b"X-Pad: " + b"p" * (size - len(b"X-Pad: \r\n")) + b"\r\n"

    # The whole head on the wire (request line, every header line, the blank line) at the bound.
    fixed = len(b"GET /v1/meta HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, _, body = _get(server, "/v1/meta", headers=padded(HEAD_BYTES - fixed))
    assert status == 200, body[:300]
    # Header lines alone one byte past the bound, whatever else is counted.
    other_lines = len(b"Host: x\r\nConnection: close\r\n")
    _refused(server, "/v1/meta", 431, headers=padded(HEAD_BYTES + 1 - other_lines))
