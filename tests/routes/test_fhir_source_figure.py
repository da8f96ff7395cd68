"""The FHIR source-figure extension says of each figure what /v1 says: derived or printed.

Every outcome and adverse event served on /v1 is read back as its FHIR Evidence; the
extension's `derived` must equal the figure's own flag, and the curated data hold both kinds
(a constant true or false would fail).
"""

from typing import Any

from fastapi.testclient import TestClient


def _all_evidence(client: TestClient) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    url: str | None = "/fhir/Evidence?_count=100"
    while url is not None:
        bundle = client.get(url).json()
        found.update({entry["resource"]["id"]: entry["resource"] for entry in bundle.get("entry", [])})
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        url = links["next"].removeprefix("http://testserver") if "next" in links else None
    return found


def _source_figure(evidence: dict[str, Any]) -> dict[str, Any]:
    [extension] = [e for e in evidence.get("extension", []) if e["url"].endswith("/source-figure")]
    return {part["url"]: next(v for k, v in part.items() if k.startswith("value")) for part in extension["extension"]}


def test_derived_in_the_source_figure_extension_is_the_figures_own(client: TestClient) -> None:
    evidence = _all_evidence(client)
    seen: dict[bool, int] = {True: 0, False: 0}
    for path in ("/v1/outcomes", "/v1/adverse-events"):
        page = client.get(path, params={"limit": 500}).json()
        assert page["total"] == len(page["items"])
        for figure in page["items"]:
            parts = _source_figure(evidence[figure["id"].replace("_", "-")])
            assert parts["derived"] is figure["derived"], figure["id"]
            assert parts.get("derivation") == figure["derivation"], figure["id"]
            seen[figure["derived"]] += 1
    assert seen[True] and seen[False], seen
