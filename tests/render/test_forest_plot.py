"""The forest-plot renderer, on Comparison objects built here, and the SVG route on the real data."""

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from api.render.forest_plot import render_forest_plot
from models.comparison import Comparison, ComparisonRow, ExcludedRow, PooledEstimate
from models.enums import Measure
from tests.fixture_data import studies

SVG = "{http://www.w3.org/2000/svg}"


def _row(
    outcome_id: str, proportion: float, low: float | None = None, high: float | None = None, **extra
) -> ComparisonRow:
    counts = {"events": 9, "n": 20, "interval_method": "wilson"} if low is not None else {}
    return ComparisonRow(
        outcome_id=outcome_id,
        label=extra.pop("label", f"Study {outcome_id} · Arm A"),
        denominator_basis=extra.pop("denominator_basis", "not_stated"),
        pooled=extra.pop("pooled", low is not None),
        study_id=outcome_id.split(".")[0],
        study_title=extra.pop("study_title", f"Study {outcome_id}"),
        study_acronym=extra.pop("study_acronym", None),
        arm_label=extra.pop("arm_label", "Arm A"),
        time_point=extra.pop("time_point", "best"),
        proportion=proportion,
        ci_low=low,
        ci_high=high,
        printed=extra.pop("printed", f"{100 * proportion:.0f}%"),
        source_id="002_34437a4f0dbbef9f",
        locator=extra.pop("locator", "Table 1"),
        permalink=f"http://127.0.0.1:8000/v1/outcomes/{outcome_id}",
        derived=extra.pop("derived", False),
        **counts,
        **extra,
    )


def _pooled() -> PooledEstimate:
    return PooledEstimate(
        label="Descriptive only: not a formal meta-analysis.",
        method="DerSimonian-Laird",
        k=2,
        proportion=0.5,
        ci_low=0.3,
        ci_high=0.7,
        i_squared=12.0,
        tau_squared=0.1,
        q=1.2,
    )


def _comparison(rows: list[ComparisonRow], pooled: PooledEstimate | None = None, **extra) -> Comparison:
    return Comparison(measure=Measure.cr, rows=rows, pooled=pooled, dataset_version="v1", **{"excluded": [], **extra})


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed standalone XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def _axis(root: ET.Element) -> tuple[float, float]:
    """x of the 0% and 100% tick labels: the scale every mark must follow."""
    ticks = {t.text: float(t.get("x")) for t in root.iter(f"{SVG}text") if t.text in {"0%", "100%"}}
    return ticks["0%"], ticks["100%"]


def _at(root: ET.Element, proportion: float) -> float:
    left, right = _axis(root)
    return left + (right - left) * proportion


def _group(root: ET.Element, outcome_id: str) -> ET.Element:
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("data-outcome-id") == outcome_id]
    return group


def _lines_of(text: ET.Element) -> list[str]:
    """A text element's lines: its tspans, or its own text where it has none."""
    spans = list(text.iter(f"{SVG}tspan"))
    return [span.text or "" for span in spans] if spans else ["".join(text.itertext())]


def _texts(element: ET.Element) -> str:
    """Everything the element writes, lines joined by spaces (as a reader reads wrapped text)."""
    return " ".join(" ".join(_lines_of(t)) for t in element.iter(f"{SVG}text"))


def test_proportion_rows_have_a_point_and_their_wilson_interval() -> None:
    root = _parse(render_forest_plot(_comparison([_row("a.cr", 0.45, 0.26, 0.66), _row("b.cr", 0.8, 0.6, 0.92)])))
    assert [g.get("data-outcome-id") for g in root.iter(f"{SVG}g") if g.get("data-outcome-id")] == ["a.cr", "b.cr"]
    group = _group(root, "a.cr")
    (line,) = group.iter(f"{SVG}line")
    assert float(line.get("x1")) == pytest.approx(_at(root, 0.26), abs=0.2)
    assert float(line.get("x2")) == pytest.approx(_at(root, 0.66), abs=0.2)
    (square,) = group.iter(f"{SVG}rect")
    centre = float(square.get("x")) + float(square.get("width")) / 2
    assert centre == pytest.approx(_at(root, 0.45), abs=0.2)
    text = _texts(group)
    assert "Study a.cr" in text and "9/20" in text and "45% (26\u201366)" in text
    assert "002_34437a4f0dbbef9f" in text  # the source


def test_survival_rows_are_points_without_an_invented_interval() -> None:
    root = _parse(render_forest_plot(_comparison([_row("s.os-2y", 0.63, time_point="2y", printed="2-yr OS 63%")])))
    group = _group(root, "s.os-2y")
    assert list(group.iter(f"{SVG}line")) == []
    assert list(group.iter(f"{SVG}rect")) == []
    (circle,) = group.iter(f"{SVG}circle")
    assert float(circle.get("cx")) == pytest.approx(_at(root, 0.63), abs=0.2)
    assert "as printed" in _texts(group) and "2-yr OS 63%" in _texts(group) and "2 years" in _texts(group)


def test_the_pooled_diamond_spans_its_interval_and_says_descriptive() -> None:
    rows = [_row("a.cr", 0.45, 0.26, 0.66), _row("b.cr", 0.55, 0.35, 0.74)]
    root = _parse(render_forest_plot(_comparison(rows, _pooled())))
    (pooled,) = [g for g in root.iter(f"{SVG}g") if g.get("data-pooled")]
    (diamond,) = pooled.iter(f"{SVG}polygon")
    xs = [float(point.split(",")[0]) for point in diamond.get("points").split()]
    assert min(xs) == pytest.approx(_at(root, 0.3), abs=0.2)
    assert max(xs) == pytest.approx(_at(root, 0.7), abs=0.2)
    assert xs[1] == pytest.approx(_at(root, 0.5), abs=0.2)
    assert "descriptive" in _texts(pooled)
    assert "Descriptive only: not a formal meta-analysis." in _texts(root)


def test_without_a_pool_the_reason_is_given() -> None:
    svg = render_forest_plot(_comparison([_row("s.os", 0.5)], pooled_note="survival figures are never pooled"))
    root = _parse(svg)
    assert root.find(f".//{SVG}polygon") is None
    assert "No pooled estimate: survival figures are never pooled." in _texts(root)


def test_axis_runs_from_0_to_100_percent() -> None:
    root = _parse(render_forest_plot(_comparison([_row("a.cr", 0.5, 0.4, 0.6)])))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and re.fullmatch(r"\d+%", t.text)]
    assert labels[0] == "0%" and labels[-1] == "100%"
    left, right = _axis(root)
    assert right > left


def test_it_is_a_standalone_svg_with_no_external_reference_or_style() -> None:
    rows = [_row("a.cr", 0.45, 0.26, 0.66), _row("s.os", 0.7)]
    svg = render_forest_plot(
        _comparison(rows, _pooled(), excluded=[ExcludedRow(outcome_id="x.cr", study_id="x", printed="?", reason="r")])
    )
    root = _parse(svg)
    assert root.get("viewBox") and root.get("width") and root.get("height")
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in {"style", "script", "image", "use", "a", "foreignObject"}
        for name, value in element.attrib.items():
            assert "href" not in name and name != "style", (element.tag, name)
            assert "url(" not in value and "http" not in value.replace("http://www.w3.org/2000/svg", "")
    assert "1 matching figure left out" in _texts(root)


def test_text_from_the_data_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & </svg>'
    row = _row('a.cr"><x', 0.5, 0.4, 0.6, label=f"{nasty} · <b>", printed="<i>50%</i>")
    root = _parse(render_forest_plot(_comparison([row])))
    group = _group(root, 'a.cr"><x')
    assert nasty in _texts(group) and "<b>" in _texts(group) and "<i>50%</i>" in _texts(group)
    assert root.find(f".//{SVG}script") is None


def test_no_rows_says_so() -> None:
    root = _parse(render_forest_plot(_comparison([])))
    assert "No usable figures" in _texts(root)


def test_long_labels_are_wrapped_never_clipped_so_rows_stay_distinct() -> None:
    title = "A very long study title " * 6
    rows = [
        _row("a.cr-1", 0.5, 0.4, 0.6, label=f"{title}· Arm A"),
        _row("a.cr-2", 0.3, 0.2, 0.4, label=f"{title}· Arm B"),
    ]
    root = _parse(render_forest_plot(_comparison(rows)))
    labels = []
    for row in rows:
        (text,) = [t for t in _group(root, row.outcome_id).iter(f"{SVG}text") if t.get("data-role") == "label"]
        shown = " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))
        assert shown == " ".join(row.label.split())  # every word, none dropped
        labels.append(shown)
    assert len(set(labels)) == len(labels)


def test_derived_and_not_pooled_rows_are_marked() -> None:
    rows = [
        _row("a.cr", 0.5, 0.4, 0.6, derived=True, pooled=False, not_pooled_reason="counts derived by curators"),
        _row("b.cr", 0.3, 0.2, 0.4),
    ]
    root = _parse(render_forest_plot(_comparison(rows)))
    derived, printed = _group(root, "a.cr"), _group(root, "b.cr")
    assert (derived.get("data-derived"), derived.get("data-in-pool")) == ("true", "false")
    assert (printed.get("data-derived"), printed.get("data-in-pool")) == ("false", "true")
    assert "not pooled: counts derived by curators" in _texts(derived)
    assert "9/20*" in _texts(derived) and "9/20*" not in _texts(printed)
    assert derived.find(f"{SVG}rect").get("fill") == "#ffffff"  # open square: not in the pool
    assert "counts derived by curators" in _texts(root)  # the legend explains the asterisk


# --- the route, on the curated data ---


@pytest.mark.parametrize("query", ["measure=cr", "measure=os", "measure=cr&target_antigen=CD7", "measure=orr"])
def test_svg_route_draws_the_rows_of_the_comparison(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/comparison.svg?{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = _parse(response.text)
    comparison = client.get(f"/v1/comparison?{query}").json()
    drawn = [g.get("data-outcome-id") for g in root.iter(f"{SVG}g") if g.get("data-outcome-id")]
    assert drawn == [row["outcome_id"] for row in comparison["rows"]]
    assert (root.find(f".//{SVG}polygon") is not None) == (comparison["pooled"] is not None)
    # Each drawn figure's printed text is the curated one.
    curated = {f"{sid}.{o['id']}": o["printed"] for sid, study in studies().items() for o in study.get("outcomes", [])}
    for row in comparison["rows"]:
        assert curated[row["outcome_id"]][:20] in _texts(_group(root, row["outcome_id"]))


def test_svg_route_errors_are_problem_details(client: TestClient) -> None:
    response = client.get("/v1/comparison.svg")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["location"] == "query.measure"


def test_svg_and_json_of_one_query_are_different_representations(client: TestClient) -> None:
    svg = client.get("/v1/comparison.svg?measure=cr").headers["etag"]
    json_ = client.get("/v1/comparison?measure=cr").headers["etag"]
    csv = client.get("/v1/comparison?measure=cr", headers={"Accept": "text/csv"}).headers["etag"]
    assert len({svg, json_, csv}) == 3
    assert client.get("/v1/comparison.svg?measure=cr", headers={"If-None-Match": svg}).status_code == 304


# --- layout: what the axis says, no text over the plot, nothing cut ---

# Width of a character at a font size, as the renderer's column budgets assume (system sans).
EM_PER_CHAR = 0.6


def _extent(text: ET.Element) -> tuple[float, float]:
    """Left and right x of a left-anchored text element's longest line."""
    size = float(text.get("font-size"))
    longest = max(len(line) for line in _lines_of(text))
    left = float(text.get("x"))
    return left, left + longest * size * EM_PER_CHAR


def _plot_band(root: ET.Element) -> tuple[float, float]:
    """The horizontal band the grid lines and marks occupy."""
    left, right = _axis(root)
    return left - 6, right + 6


def _axis_title(root: ET.Element) -> str:
    (title,) = [t for t in root.iter(f"{SVG}text") if t.get("data-role") == "axis-title"]
    return "".join(title.itertext())


@pytest.mark.parametrize(
    ("rows", "says", "never"),
    [
        ([("a.cr", 0.5, 0.4, 0.6)], "Wilson 95% interval", "where drawn"),
        ([("a.os", 0.4, None, None), ("b.os", 0.6, None, None)], "no interval", "95%"),
        ([("a.cr", 0.5, 0.4, 0.6), ("b.os", 0.6, None, None)], "where drawn", "no interval"),
    ],
)
def test_the_axis_names_what_its_rows_carry(rows, says, never) -> None:
    root = _parse(render_forest_plot(_comparison([_row(*row) for row in rows])))
    assert says in _axis_title(root) and never not in _axis_title(root)


def test_no_row_text_runs_over_the_plot_and_nothing_is_cut() -> None:
    reason = "a long reason why this figure is not pooled, with many words that must wrap onto further lines"
    locator = "Results, paragraph 3, and Table 2 footnote b, as printed under the survival curve of figure 4"
    rows = [
        _row("a.cr", 0.5, 0.4, 0.6, pooled=False, not_pooled_reason=reason, locator=locator, derived=True),
        _row("b.os", 0.6, locator=locator, subgroup="etp", response_definition="CR by the trial's own criteria"),
    ]
    svg = render_forest_plot(_comparison(rows))
    root = _parse(svg)
    band_left, band_right = _plot_band(root)
    for row in rows:
        group = _group(root, row.outcome_id)
        for text in group.iter(f"{SVG}text"):
            left, right = _extent(text)
            assert right <= band_left or left >= band_right, (text.get("data-role"), _lines_of(text))
        assert f"not pooled: {reason}" in _texts(group) if row.not_pooled_reason else True
        assert f"{row.source_id}, {locator}" in _texts(group)  # the locator whole, wrapped
    assert "…" not in svg


def test_rows_of_wrapped_text_do_not_overlap_each_other() -> None:
    locator = "Table 2, footnote b; Results, paragraph 3; Figure 4, the survival curve and its legend"
    rows = [_row(f"s{i}.cr", 0.5, 0.4, 0.6, locator=locator, not_pooled_reason="r " * 40) for i in range(3)]
    root = _parse(render_forest_plot(_comparison(rows)))
    spans = []
    for row in rows:
        group = _group(root, row.outcome_id)
        ys = []
        for text in group.iter(f"{SVG}text"):
            y = float(text.get("y"))
            ys += [y + 14 * i for i in range(len(_lines_of(text)))]
        spans.append((min(ys), max(ys)))
    for (_, last), (first, _) in itertools.pairwise(spans):
        assert last < first  # the next row starts below this one's last line
