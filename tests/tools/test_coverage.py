"""The per-document coverage table is current, complete, and its left-out figures are real."""

import re

import pytest

from api.loading.load import validate_fixtures
from api.settings import PROJECT_ROOT, Settings
from api.tools.coverage import read_coverage, render_coverage


def test_coverage_table_is_up_to_date(settings: Settings) -> None:
    expected = render_coverage(
        validate_fixtures(settings), read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
    )
    assert (PROJECT_ROOT / "seeds" / "COVERAGE.md").read_text(encoding="utf-8") == expected, (
        "seeds/COVERAGE.md is stale: run `tall-evidence coverage`"
    )


def test_every_document_has_a_coverage_file_and_contributes(settings: Settings) -> None:
    fixtures = validate_fixtures(settings)
    coverage = read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes)
    assert set(coverage) == {s.id for s in fixtures.sources.sources}
    render = render_coverage(fixtures, coverage)
    for source in fixtures.sources.sources:
        row = next(line for line in render.splitlines() if line.startswith(f"| `{source.id}` |"))
        assert "| none |" not in row, f"no study drawn from {source.id}"


def test_left_out_figures_occur_in_their_documents(settings: Settings) -> None:
    if not settings.seeds_text_dir.is_dir():
        pytest.skip(f"source texts not found at {settings.seeds_text_dir} (set TALL_SEEDS_TEXT_DIR)")

    def fold(text: str) -> str:
        return re.sub(r"\s+", " ", text)

    for source_id, coverage in read_coverage(settings.coverage_dir, max_bytes=settings.max_fixture_bytes).items():
        text = fold((settings.seeds_text_dir / f"{source_id}.txt").read_text(encoding="utf-8"))
        missing = [x.printed for x in coverage.left_out if fold(x.printed).strip() not in text]
        assert not missing, f"{source_id}: {missing}"


def test_counts_agree_with_percentages_unless_in_conflict(settings: Settings) -> None:
    """Independent of the loader's check: recompute every percentage from its counts."""
    fixtures = validate_fixtures(settings)
    checked = 0
    for study in fixtures.studies.values():
        pairs = [(o.value, o.numerator, o.denominator, o) for o in study.outcomes if o.unit.value == "percent"]
        pairs += [(e.percentage, e.patients, e.at_risk, e) for e in study.adverse_events]
        for percent, num, den, fig in pairs:
            if None in (percent, num, den) or fig.conflict_ids:
                continue
            decimals = len(str(percent).split(".")[1].rstrip("0")) if "." in str(percent) else 0
            assert abs(100 * num / den - percent) <= 0.5 * 10**-decimals + 1e-9, (study.id, fig.id)
            checked += 1
    assert checked >= 10
