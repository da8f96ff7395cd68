"""The recorded crawl: every request of tests/crawl/requests.json gives the recorded response.

A fixed list of ~500 requests over every operation (lists with filters, sorts, paging and
formats, Accept negotiation, every id of every resource, 404s, 422s, comparisons, facets,
batch, dataset JSON and ZIP, embeds, docs, static files, conditional requests, CORS
preflights) is replayed in process against ``create_app`` and each response's status,
relevant headers and body (sha256 and length, plus the text of short bodies) is compared with
tests/crawl/recorded.jsonl. What varies between runs or with the code fingerprint (ETag hashes,
built_at, ZIP entry times, static files' dates) is normalised as described in
tests/crawl/replay.py.

When the output changes on purpose (new data, a deliberate format change), re-record with
``python -m tests.crawl.record`` and review the diff of recorded.jsonl. To widen the crawl,
``python -m tests.crawl.generate`` rebuilds requests.json (then re-record).
"""

import difflib
import json
from typing import Any

from tests.crawl.replay import RECORDING_FILE, crawl, load_requests

SHOWN = 5  # differences described in full; the rest are counted


def describe(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    request = expected["request"]
    lines = [f"#{expected['i']} {request['method']} {request['url']} {request.get('headers') or ''}"]
    if expected["status"] != actual["status"]:
        lines.append(f"  status: {expected['status']} -> {actual['status']}")
    for name in sorted(set(expected["headers"]) | set(actual["headers"])):
        before, after = expected["headers"].get(name), actual["headers"].get(name)
        if before != after:
            lines.append(f"  header {name}: {before!r} -> {after!r}")
    old, new = expected["body"], actual["body"]
    if old["sha256"] != new["sha256"]:
        lines.append(f"  body: {old['length']} bytes -> {new['length']} bytes")
        if old.get("text") is not None and new.get("text") is not None:
            diff = difflib.unified_diff(old["text"].splitlines(), new["text"].splitlines(), lineterm="", n=0)
            lines += ["    " + line[:300] for line in list(diff)[2:12]]
    return "\n".join(lines)


def test_crawl_matches_recording() -> None:
    recorded = [json.loads(line) for line in RECORDING_FILE.read_text().splitlines() if line]
    assert [r["request"] for r in recorded] == load_requests(), (
        "requests.json and recorded.jsonl disagree: re-record with python -m tests.crawl.record"
    )
    actual = list(crawl())
    assert len(actual) == len(recorded)
    differences = [describe(e, a) for e, a in zip(recorded, actual, strict=True) if e != a]
    assert not differences, (
        f"{len(differences)} of {len(recorded)} responses differ from the recording "
        f"(first {min(SHOWN, len(differences))} shown):\n" + "\n".join(differences[:SHOWN])
    )
