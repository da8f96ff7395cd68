"""Every figure's printed string occurs in the document it cites."""

import re
from pathlib import Path

import pytest

from api.loading.load import validate_fixtures
from api.settings import Settings


def _normalise(text: str) -> str:
    # PDF extraction breaks lines anywhere; compare with runs of white space folded.
    return re.sub(r"\s+", " ", text).strip()


def _figures(settings: Settings) -> list[tuple[str, str, str, str]]:
    fixtures = validate_fixtures(settings)
    out = []
    for file, study in fixtures.studies.items():
        for kind in ("outcomes", "adverse_events", "characteristics"):
            for fig in getattr(study, kind):
                out.append((f"{file}:{kind}:{fig.id}", fig.source_id, fig.printed, fig.locator))
    for fig in fixtures.epidemiology.figures:
        out.append((f"{fixtures.epidemiology_file}:{fig.id}", fig.source_id, fig.printed, fig.locator))
    return out


def test_every_printed_figure_occurs_in_its_source(settings: Settings) -> None:
    seeds_dir: Path = settings.seeds_text_dir
    if not seeds_dir.is_dir():
        pytest.skip(f"source texts not found at {seeds_dir} (set TALL_SEEDS_TEXT_DIR); provenance cannot be checked")
    texts = {p.stem: _normalise(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*.txt")}
    figures = _figures(settings)
    assert figures, "no figures curated"
    missing = [
        f"{where}: {printed!r} not found in {source}"
        for where, source, printed, _ in figures
        if _normalise(printed) not in texts.get(source, "")
    ]
    assert not missing, "\n".join(missing)


def test_source_checksums_match_the_texts(settings: Settings) -> None:
    import hashlib

    seeds_dir: Path = settings.seeds_text_dir
    if not seeds_dir.is_dir():
        pytest.skip(f"source texts not found at {seeds_dir} (set TALL_SEEDS_TEXT_DIR); checksums cannot be checked")
    fixtures = validate_fixtures(settings)
    for source in fixtures.sources.sources:
        text_file = seeds_dir / f"{source.id}.txt"
        assert text_file.exists(), f"{source.id} has no text in {seeds_dir}"
        assert hashlib.sha256(text_file.read_bytes()).hexdigest() == source.sha256, source.id
    assert {s.id for s in fixtures.sources.sources} == {p.stem for p in seeds_dir.glob("*.txt")}
