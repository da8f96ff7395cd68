"""Figures are served with the span of their printed words and the context around them."""

import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.loading.fixture_files import FixtureError
from api.main import create_app
from api.provenance.spans import read_spans
from api.settings import Settings
from tests import launcher


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


# Session 13's probe, FB4: a spans file edited so, `build` and `serve` served it (rc 0), start after end and all.
PROBE_SPAN = (
    "    start: 1561\n    end: 1628\n"
    "    context: An 11-year-old male was diagnosed with ETP-ALL/LBL in February 2016.\n"
)
EDITS = {
    "start after end": "    start: 9000000\n    end: 10\n"
    "    context: A 95-year-old female was diagnosed in 1816 with <script>alert(1)</script>.\n",
    "made-up context": PROBE_SPAN.replace("An 11-year-old male", "A 95-year-old female", 1),
    "end past the text": PROBE_SPAN.replace("end: 1628", "end: 9999999"),
    "shifted": PROBE_SPAN.replace("start: 1561\n    end: 1628", "start: 1562\n    end: 1629"),
}
SAID = {
    "start after end": "spans.cd7-car-t-etp-case.age: Value error, start 9000000 is not before end 10",
    "made-up context": "spans.cd7-car-t-etp-case.age.context: does not hold the printed words 'An 11-year-old male was "
    "diagnosed with ETP-ALL/LBL in February 2016'",
    "end past the text": "spans.cd7-car-t-etp-case.age.end: 9999999 is past the end of 000_ce0d31675345fdf7",
    "shifted": "spans.cd7-car-t-etp-case.age: characters 1562-1629 of 000_ce0d31675345fdf7 are not the printed words",
}


def _edited_spans(settings: Settings, tmp_path: Path, edit: str) -> Path:
    committed = settings.spans_file.read_text(encoding="utf-8")
    assert committed.count(PROBE_SPAN) == 1
    path = tmp_path / "sp-bad.yaml"
    path.write_text(committed.replace(PROBE_SPAN, EDITS[edit]), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit", ["start after end", "made-up context"])
def test_a_span_false_in_itself_stops_the_start_up_without_the_texts(
    settings: Settings, tmp_path: Path, edit: str
) -> None:
    spans = _edited_spans(settings, tmp_path, edit)
    app = create_app(Settings(spans_file=spans, seeds_text_dir=None))
    with pytest.raises(FixtureError) as caught, TestClient(app):
        pass
    assert not hasattr(app.state, "database"), "a database was attached although loading failed"
    assert [str(i) for i in caught.value.issues] == [f"{spans} (TALL_SPANS_FILE): {SAID[edit]}"]


# Without the texts, nothing in the spans file tells an end past the text or shifted characters from true ones.
TEXTLESS = ("start after end", "made-up context")


CASES = [
    (edit, texts, command)
    for edit in sorted(EDITS)
    for texts in (True, False)
    for command in ("validate", "build", "serve")
    if texts or edit in TEXTLESS or command == "build"  # the build says it of the rest: served as they stand
]


@pytest.mark.parametrize(("edit", "texts", "command"), CASES)
def test_each_command_refuses_a_span_it_can_tell_is_false(
    settings: Settings, tmp_path: Path, edit: str, texts: bool, command: str
) -> None:
    if texts and not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")
    spans = _edited_spans(settings, tmp_path, edit)
    out = tmp_path / "out"
    args = {"validate": ["validate"], "build": ["build", "--out", str(out)], "serve": ["serve"]}[command]
    env = {
        **os.environ,
        "TALL_SPANS_FILE": str(spans),
        "TALL_SEEDS_TEXT_DIR": str(settings.seeds_text_dir) if texts else "",
        "TALL_PORT": "1",  # never reached: serve must stop before binding
    }
    done = launcher.run(args, env=env, timeout=60)
    assert "Traceback" not in done.stderr
    if not texts and edit not in TEXTLESS:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1, done.stdout
    assert f"  {spans} (TALL_SPANS_FILE): {SAID[edit]}" in done.stderr
    assert not list(out.glob("*.sqlite3"))
