"""Figures are served with the span of their printed words and the context around them."""

import re

from fastapi.testclient import TestClient

from api.provenance.spans import read_spans
from api.settings import Settings


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_served_figures_carry_the_committed_spans(client: TestClient, settings: Settings) -> None:
    _, spans = read_spans(settings.spans_file)
    served = client.get("/v1/outcomes", params={"limit": 500}).json()["items"]
    assert served
    with_span = [o for o in served if o["span_start"] is not None]
    assert len(with_span) == sum(1 for o in served if o["id"] in spans)
    for outcome in with_span:
        span = spans[outcome["id"]]
        assert (outcome["span_start"], outcome["span_end"], outcome["context"]) == (span.start, span.end, span.context)
        assert len(outcome["context"]) <= 300


def test_a_span_points_at_the_printed_words_in_the_text(client: TestClient, settings: Settings) -> None:
    import pytest

    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    for kind in ("outcomes", "adverse-events", "epidemiology"):
        for figure in client.get(f"/v1/{kind}", params={"limit": 500}).json()["items"]:
            if figure["span_start"] is None:
                continue
            text = (settings.seeds_text_dir / f"{figure['source_id']}.txt").read_text(encoding="utf-8")
            words = text[figure["span_start"] : figure["span_end"]]
            assert _fold(words) == _fold(figure["printed"]), figure["id"]
            assert _fold(figure["printed"]) in _fold(figure["context"]).replace("\u2026", ""), figure["id"]
