"""The golden claims (golden.yaml) and what a claim needs to be checked the way its entry says."""

from pathlib import Path
from typing import Any

from tests.fixture_data import read_yaml

GOLDEN: list[dict[str, Any]] = read_yaml((Path(__file__).parent / "golden.yaml").read_text(encoding="utf-8"))


def golden_ids(claim: dict[str, Any]) -> str:
    return str(claim["id"])


def arguments(claim: dict[str, Any]) -> dict[str, Any]:
    """The claim as query parameters (and MCP tool arguments)."""
    return {"text": claim["text"]} if "text" in claim else dict(claim["params"])


def assert_golden(claim: dict[str, Any], answer: dict[str, Any]) -> None:
    """The verdict the entry expects; agreeing evidence first; the figure it names among the agreeing ones."""
    assert answer["verdict"] == claim["expected"], answer["explanation"]
    agrees = [e["agrees"] for e in answer["evidence"]]
    ranks = [0 if a else 1 if a is False else 2 for a in agrees]
    assert ranks == sorted(ranks)
    if claim.get("first_evidence"):
        assert claim["first_evidence"] in [e["id"] for e in answer["evidence"] if e["agrees"]]
    comparable = [e for e in answer["evidence"] if e["agrees"] is not None]
    for conflict in {c for e in comparable for c in e["conflict_ids"]}:
        assert conflict in answer["explanation"]
    if any(e["derived"] for e in comparable):
        assert "derived" in answer["explanation"]
    if any(e["inferred"] for e in comparable):
        assert "inferred" in answer["explanation"]
