"""How codes read in the embedded views."""

import pytest

from api.render.labels import grade_label, label, time_point_label


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1y", "1 year"),
        ("3y", "3 years"),
        ("18m", "18 months"),
        ("d28", "day 28"),
        ("cycle1", "after cycle 1"),
        ("best", "best response"),
        (None, ""),
        ("odd", "odd"),
    ],
)
def test_time_points(code: str | None, expected: str) -> None:
    assert time_point_label(code) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (3, None, "grade ≥3"),
        (1, 2, "grade 1\u20132"),
        (None, 2, "grade ≤2"),
        (4, 4, "grade 4"),
        (None, None, "grade not stated"),
    ],
)
def test_grades(low: int | None, high: int | None, expected: str) -> None:
    assert grade_label(low, high) == expected


def test_codes_read_as_words() -> None:
    assert label("cr_cri") == "CR/CRi"
    assert label("relapsed_refractory") == "relapsed/refractory"
    assert label("some_new_code") == "some new code"
