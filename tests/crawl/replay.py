"""Replay the frozen request list against an app and turn each response into a comparable record.

Only ``api.main.create_app`` and ``api.settings`` are imported from the code, so this keeps
working however api/ is laid out inside.

Normalisation (everything else is recorded byte for byte):
- ETag: the part after the dataset version is a hash that includes the code fingerprint
  (api/middleware/etags.py), so it changes with any edit to the code. Each distinct ETag value is
  replaced by a label numbered in order of first appearance in the crawl (``"<version>-#3"``),
  which keeps what matters: the dataset version, and which responses share a validator and
  which do not. Static files' own validators (size and modification time) get labels too,
  since a checkout or a move changes file times.
- last-modified (static files) is recorded as present/absent only, for the same reason.
- Bodies: the dataset's load time (``"built_at": "<ISO time>"`` in /v1/meta and the dataset
  JSON, and the same inside the dataset ZIP) becomes ``<built_at>``. A ZIP is compared by its
  entries (name and normalised content), not its bytes, as entry times follow the load time.
  These were found by recording twice and diffing.
- If-None-Match on a request may name an earlier request (``if_none_match_from``); the
  ETag that request got in this run is sent, so a 304 is tested without recording the tag.
"""

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

HERE = Path(__file__).resolve().parent
REQUESTS_FILE = HERE / "requests.json"
RECORDING_FILE = HERE / "recorded.jsonl"
TEXT_LIMIT = 2048  # bodies shorter than this are stored as text too, so a diff shows what changed

RECORDED_HEADERS = (
    "content-type",
    "content-disposition",
    "etag",
    "cache-control",
    "vary",
    "location",
    "allow",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
    "content-security-policy",
    "x-content-type-options",
    "content-length",
    "last-modified",
)
ETAG_PATTERN = re.compile(r'^(W/)?"(?:([^"-]+)-)?([^"]*)"$')


class EtagLabels:
    """Replaces each distinct ETag's opaque part with '#n', n counting first appearances."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def __call__(self, etag: str) -> str:
        match = ETAG_PATTERN.match(etag)
        if match is None:
            return f"<unparsed etag {etag!r}>"
        weak, version, _opaque = match.groups()
        label = self.labels.setdefault(etag, f"#{len(self.labels) + 1}")
        return f'{weak or ""}"{version + "-" if version else ""}{label}"'


def load_requests() -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads(REQUESTS_FILE.read_text())
    return requests


BUILT_AT = re.compile(rb'("built_at"\s*:\s*")[^"]*(")')


def normalise_body(body: bytes, content_type: str) -> bytes:
    """The body with values that differ between two loads of the same data replaced (see above)."""
    if content_type.startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            entries = [
                {"name": info.filename, "sha256": hashlib.sha256(normalise_body(archive.read(info), "")).hexdigest()}
                for info in archive.infolist()
            ]
        return json.dumps({"zip_entries": entries}, indent=1).encode()
    return BUILT_AT.sub(rb"\1<built_at>\2", body)


def body_record(body: bytes) -> dict[str, Any]:
    record: dict[str, Any] = {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    if len(body) < TEXT_LIMIT:
        try:
            record["text"] = body.decode()
        except UnicodeDecodeError:
            record["text"] = None
    return record


def exchanges(settings: Settings | None = None) -> Iterator[tuple[int, dict[str, Any], httpx.Response]]:
    """Send every request of the list, in order, to a fresh app; yield each request and its raw response."""
    raw_etags: list[str | None] = []
    with TestClient(create_app(settings or Settings()), base_url="http://testserver") as client:
        for index, request in enumerate(load_requests()):
            headers = dict(request.get("headers", {}))
            source = request.get("if_none_match_from")
            if source is not None:
                headers["If-None-Match"] = raw_etags[source] or '"none"'
            response = client.request(request["method"], request["url"], headers=headers, follow_redirects=False)
            raw_etags.append(response.headers.get("etag"))
            yield index, request, response


def crawl(settings: Settings | None = None) -> Iterator[dict[str, Any]]:
    """Send every request of the list, in order, to a fresh app; yield one record per request."""
    labels = EtagLabels()
    for index, request, response in exchanges(settings):
        recorded: dict[str, Any] = {}
        for name in RECORDED_HEADERS:
            if name in response.headers:
                value = ", ".join(response.headers.get_list(name))
                if name == "etag":
                    value = labels(value)
                elif name == "last-modified":
                    value = "<present>"
                recorded[name] = value
        yield {
            "i": index,
            "request": request,
            "status": response.status_code,
            "headers": recorded,
            "body": body_record(normalise_body(response.content, response.headers.get("content-type", ""))),
        }
