"""Properties of the query surface, over random combinations of filters, sort orders and pages.

For studies, outcomes and adverse events, Hypothesis draws filters (values present in the data,
and some that are not), a sort order and a page size, then walks every page by its `next` link:
- every returned item satisfies every filter asked, and no item that satisfies them is missing
  (the expected set is computed here, from the unfiltered list and each item's own fields);
- pages neither repeat nor skip an item, and the total equals the items walked;
- the sort order holds (nulls last, ties by id);
- the facets for the same filters count exactly the items of the list.
Examples are derandomized so CI runs the same ones every time; `pytest --hypothesis-seed`
explores others.
"""

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.enums import (
    AdverseEventTerm,
    Design,
    Disease,
    GradingSystem,
    Measure,
    Phase,
    Setting,
    SourceKind,
    Subgroup,
    TherapyClass,
)

Item = dict[str, Any]
Params = dict[str, Any]

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Study filters whose values are lists on the study item; and those that are one value.
STUDY_LIST_FILTERS = {
    "disease": "diseases",
    "age_group": "age_groups",
    "target_antigen": "target_antigens",
    "cell_source": "cell_sources",
    "fratricide_strategy": "fratricide_strategies",
    "registry_id": "registry_ids",
    "source_id": "source_ids",
}
STUDY_SCALAR_FILTERS = {"setting": "setting", "design": "design", "phase": "phase"}
# Filters on the tag index whose tags come from more than the study item shows (an arm's agents
# and classes): what they select alone is taken from the service, and the property checked is
# that combined with others they select the intersection.
STUDY_TAG_ONLY = {"therapy_class": "therapy_classes", "agent": "agents"}
# Absent from the data, or not: enum members the data may not use, so empty results are drawn too.
EXTRA_VALUES = {
    "disease": [d.value for d in Disease],
    "setting": [s.value for s in Setting],
    "design": [d.value for d in Design],
    "phase": [p.value for p in Phase],
    "therapy_class": [t.value for t in TherapyClass],
    "measure": [m.value for m in Measure],
    "term": [t.value for t in AdverseEventTerm],
    "source_kind": [k.value for k in SourceKind],
    "grading_system": [g.value for g in GradingSystem],
    "time_point": ["2y", "3y", "1y", "d28", "best", "cycle1", "18m"],
}


def _all(client: TestClient, path: str, **filters: list[str]) -> list[Item]:
    page = client.get(path, params={**filters, "limit": 500}).json()
    assert page["total"] == len(page["items"]) < 500
    return list(page["items"])


@pytest.fixture(scope="module")
def data(client: TestClient) -> dict[str, Any]:
    studies = _all(client, "/v1/studies")
    return {
        "studies": studies,
        "by_study": {s["id"]: s for s in studies},
        "outcomes": _all(client, "/v1/outcomes"),
        "adverse_events": _all(client, "/v1/adverse-events"),
    }


def _values(items: list[Item], field: str) -> list[str]:
    found: set[str] = set()
    for item in items:
        value = item.get(field)
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                found.add(str(v))
    return sorted(found)


def _choices(data: dict[str, Any], name: str, items: list[Item], field: str) -> st.SearchStrategy[list[str]]:
    present = _values(items, field)
    pool = sorted(set(present) | set(EXTRA_VALUES.get(name, [])))
    assert present, f"no {field} in the data to draw {name} from"
    # Mostly values that occur, sometimes one that may not.
    value = st.one_of(st.sampled_from(present), st.sampled_from(pool)) if pool != present else st.sampled_from(present)
    return st.lists(value, min_size=1, max_size=3, unique=True)


def _study_filters(data: dict[str, Any]) -> dict[str, st.SearchStrategy[Any]]:
    studies = data["studies"]
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in {**STUDY_LIST_FILTERS, **STUDY_SCALAR_FILTERS, **STUDY_TAG_ONLY}.items():
        drawn[name] = _choices(data, name, studies, field)
    drawn["min_patients"] = st.integers(min_value=0, max_value=300)
    drawn["age"] = st.integers(min_value=0, max_value=90)
    return drawn


def _tagged(client: TestClient, name: str, values: list[str]) -> set[str]:
    """The studies one tag filter selects on its own."""
    return {s["id"] for s in _all(client, "/v1/studies", **{name: values})}


def _study_matches(study: Item, params: Params, tagged: dict[str, set[str]]) -> bool:
    for name in STUDY_TAG_ONLY:
        if name in params and study["id"] not in tagged[name]:
            return False
    for name, field in STUDY_LIST_FILTERS.items():
        if name in params and not set(params[name]) & {str(v) for v in study[field]}:
            return False
    for name, field in STUDY_SCALAR_FILTERS.items():
        if name in params and str(study[field]) not in params[name]:
            return False
    if "min_patients" in params and (study["n_enrolled"] is None or study["n_enrolled"] < params["min_patients"]):
        return False
    if "age" in params:
        low, high = study["age_min"], study["age_max"]
        if low is None or high is None or not low <= params["age"] <= high:
            return False
    return True


def _subgroup_matches(item: Item, wanted: list[str]) -> bool:
    if "any" in wanted:
        return True
    return (item["subgroup"] is None and "none" in wanted) or item["subgroup"] in wanted


FIGURE_FIELDS = {"study_id": "study_id", "arm_id": "arm_id", "figure_source_id": "source_id"}


def _figure_matches(
    item: Item, params: Params, own: dict[str, str], *, by_study: dict[str, Item], tagged: dict[str, set[str]]
) -> bool:
    if not _study_matches(by_study[item["study_id"]], params, tagged):
        return False
    for name, field in {**FIGURE_FIELDS, "source_kind": "source_kind", **own}.items():
        if name in params and str(item[field]) not in params[name]:
            return False
    if "subgroup" in params and not _subgroup_matches(item, params["subgroup"]):
        return False
    if "min_grade" in params and (item["grade_min"] is None or item["grade_min"] < params["min_grade"]):
        return False
    return True


def _walk(client: TestClient, path: str, params: Params) -> tuple[list[Item], int]:
    """Every page from offset 0, following `next`; the items in order, and the total the pages gave."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    first = response.json()
    total, items, pages = first["total"], [], 0
    body = first
    while True:
        assert body["total"] == total, "the total changed between pages"
        assert len(body["items"]) <= params["limit"]
        items += body["items"]
        pages += 1
        assert pages <= total + 1, "next links do not end"
        if body["links"]["next"] is None:
            break
        body = client.get(body["links"]["next"].removeprefix("http://testserver")).json()
    return items, total


def _sort_key(sort: str) -> tuple[str, bool]:
    return sort.lstrip("-"), sort.startswith("-")


def _check_order(items: list[Item], sort: str | None) -> None:
    ids = [item["id"] for item in items]
    if sort in (None, "id", "relevance"):
        assert ids == sorted(ids)
        return
    if sort == "-id":
        assert ids == sorted(ids, reverse=True)
        return
    field, descending = _sort_key(sort)
    key = _proportion if field == "value" else (lambda item: item[field])
    values = [key(item) for item in items]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), f"{sort}: nulls not last"
    assert present == sorted(present, reverse=descending), sort
    for before, after in itertools.pairwise(items):
        if key(before) == key(after):
            assert before["id"] < after["id"], f"{sort}: tie not broken by id"


def _proportion(item: Item) -> float | None:
    """What sort=value compares (like with like): a percentage as a proportion, else numerator/denominator;
    a figure with neither (a count without its denominator, a time) has none and sorts last."""
    if item["unit"] == "percent" and item["value"] is not None:
        return float(item["value"]) / 100
    if item["numerator"] is not None and item["denominator"]:
        return float(item["numerator"]) / float(item["denominator"])
    return None


def _check_listing(
    client: TestClient, path: str, params: Params, expected: list[Item], *, facet_fields: dict[str, str]
) -> None:
    items, total = _walk(client, path, params)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "a page repeated an item"
    assert total == len(items), "total differs from the items walked"
    assert set(ids) == {item["id"] for item in expected}, "items missing or not matching the filters"
    _check_order(items, params.get("sort"))
    filters = {k: v for k, v in params.items() if k not in ("sort", "limit")}
    facets = client.get(path + "/facets", params=filters).json()
    assert facets["total"] == total
    for facet, served in facets["facets"].items():
        counts = {entry["value"]: entry["count"] for entry in served}
        assert all(n > 0 for n in counts.values()), f"facet {facet} lists a value it found nowhere"
        field = facet_fields.get(facet)
        if field is not None:  # counted from the items' own field
            counted: Counter[str] = Counter()
            for item in items:
                value = item[field]
                for v in set(value) if isinstance(value, list) else [value]:
                    counted["none" if v is None else str(v)] += 1
            assert counts == dict(counted), f"facet {facet}"
        elif facet in FILTER_OF_FACET.get(path, {}) and FILTER_OF_FACET[path][facet] not in filters:
            # Counted by the list itself: the same filters plus this value give exactly that many.
            name = FILTER_OF_FACET[path][facet]
            for value, count in counts.items():
                narrowed = client.get(path, params={**filters, name: value, "limit": 1}).json()
                assert narrowed["total"] == count, f"facet {facet}={value}"


# Facets that are filters too (by another name on figure lists), checked against the filtered list.
FILTER_OF_FACET = {
    "/v1/studies": {"therapy_class": "therapy_class", "agent": "agent", "year": "year"},
    "/v1/outcomes": {},
    "/v1/adverse-events": {},
}


def _params(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]], sorts: list[str]) -> Params:
    names = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    params: Params = {name: draw(options[name]) for name in names}
    sort = draw(st.sampled_from([None, *sorts]))
    if sort is not None:
        params["sort"] = sort
    params["limit"] = draw(st.integers(min_value=1, max_value=30))
    return params


def _filtered(items: list[Item], matches: Callable[[Item], bool]) -> list[Item]:
    return [item for item in items if matches(item)]


STUDY_SORTS = ["id", "-id", "title", "-title", "n_enrolled", "-n_enrolled", "relevance"]
STUDY_FACETS = {**STUDY_LIST_FILTERS, **STUDY_SCALAR_FILTERS}


def test_study_lists(client: TestClient, data: dict[str, Any]) -> None:
    options = _study_filters(data)

    @EXAMPLES
    @given(st.data())
    def check(drawn: st.DataObject) -> None:
        params = drawn.draw(st.composite(lambda draw: _params(draw, options, STUDY_SORTS))())
        tagged = {n: _tagged(client, n, params[n]) for n in STUDY_TAG_ONLY if n in params}
        expected = _filtered(data["studies"], lambda s: _study_matches(s, params, tagged))
        _check_listing(client, "/v1/studies", params, expected, facet_fields=STUDY_FACETS)

    check()


OUTCOME_SORTS = ["id", "-id", "value", "-value", "measure", "time_point", "study_id"]
OUTCOME_OWN = {"measure": "measure", "time_point": "time_point"}
OUTCOME_FACETS = {
    "measure": "measure",
    "time_point": "time_point",
    "subgroup": "subgroup",
    "unit": "unit",
    "source_id": "source_id",
    "study_id": "study_id",
}


def _figure_options(data: dict[str, Any], items: list[Item], own: dict[str, str]) -> dict[str, Any]:
    options = _study_filters(data)
    for name, field in {**FIGURE_FIELDS, "source_kind": "source_kind", **own}.items():
        options[name] = _choices(data, name, items, field)
    subgroups = [*_values(items, "subgroup"), "none", "any"]
    options["subgroup"] = st.lists(st.sampled_from(subgroups), min_size=1, max_size=2, unique=True)
    return options


def test_outcome_lists(client: TestClient, data: dict[str, Any]) -> None:
    outcomes = data["outcomes"]
    options = _figure_options(data, outcomes, OUTCOME_OWN)

    @EXAMPLES
    @given(st.data())
    def check(drawn: st.DataObject) -> None:
        params = drawn.draw(st.composite(lambda draw: _params(draw, options, OUTCOME_SORTS))())
        tagged = {n: _tagged(client, n, params[n]) for n in STUDY_TAG_ONLY if n in params}
        expected = _filtered(
            outcomes, lambda o: _figure_matches(o, params, OUTCOME_OWN, by_study=data["by_study"], tagged=tagged)
        )
        _check_listing(client, "/v1/outcomes", params, expected, facet_fields=OUTCOME_FACETS)

    check()


AE_SORTS = ["id", "-id", "term", "grade_min", "-grade_min", "patients", "-patients", "percentage", "-percentage"]
AE_OWN = {"term": "term", "grading_system": "grading_system"}
AE_FACETS = {
    "term": "term",
    "grade_min": "grade_min",
    "grade_max": "grade_max",
    "grading_system": "grading_system",
    "subgroup": "subgroup",
    "source_id": "source_id",
    "study_id": "study_id",
}


def test_adverse_event_lists(client: TestClient, data: dict[str, Any]) -> None:
    events = data["adverse_events"]
    options = _figure_options(data, events, AE_OWN)
    options["min_grade"] = st.integers(min_value=1, max_value=5)

    @EXAMPLES
    @given(st.data())
    def check(drawn: st.DataObject) -> None:
        params = drawn.draw(st.composite(lambda draw: _params(draw, options, AE_SORTS))())
        tagged = {n: _tagged(client, n, params[n]) for n in STUDY_TAG_ONLY if n in params}
        expected = _filtered(
            events, lambda e: _figure_matches(e, params, AE_OWN, by_study=data["by_study"], tagged=tagged)
        )
        _check_listing(client, "/v1/adverse-events", params, expected, facet_fields=AE_FACETS)

    check()


def test_each_time_point_filter_returns_exactly_its_figures(client: TestClient, data: dict[str, Any]) -> None:
    # The filter the mutation study found ignored: /v1/outcomes?time_point=2y answered every figure.
    outcomes = data["outcomes"]
    time_points = _values(outcomes, "time_point")
    assert len(time_points) > 1
    for time_point in time_points:
        items, total = _walk(client, "/v1/outcomes", {"time_point": time_point, "limit": 500})
        assert {o["id"] for o in items} == {o["id"] for o in outcomes if o["time_point"] == time_point}
        assert 0 < total < len(outcomes)


# Each filter on its own, every list: the same checks as above over a fixed set of values instead of
# drawn combinations, so every filter is certainly exercised (and quickly: the mutation run uses these).
ONE_FILTER_LISTS = {
    "/v1/studies": ({}, STUDY_FACETS),
    "/v1/outcomes": (OUTCOME_OWN, OUTCOME_FACETS),
    "/v1/adverse-events": (AE_OWN, AE_FACETS),
}


def _listed(data: dict[str, Any], path: str) -> list[Item]:
    return list({"/v1/studies": data["studies"], "/v1/outcomes": data["outcomes"]}.get(path, data["adverse_events"]))


def _partial_values(items: list[Item], field: str) -> tuple[list[str], list[str]]:
    """The values of field among items, and those only some of the items have (a filter on one narrows)."""
    present = _values(items, field)
    having = Counter(v for item in items for v in set(_values([item], field)))
    return present, [v for v in present if having[v] < len(items)]


def _one_filter_cases(data: dict[str, Any], path: str) -> tuple[list[Params], set[str]]:
    """Cases of one filter each (a value, two values, a value nobody has), and the filters that can narrow."""
    items = _listed(data, path)
    own, _ = ONE_FILTER_LISTS[path]
    studies = items if path == "/v1/studies" else [data["by_study"][item["study_id"]] for item in items]
    fields = {**STUDY_LIST_FILTERS, **STUDY_SCALAR_FILTERS, **STUDY_TAG_ONLY}
    if path != "/v1/studies":
        fields |= {**FIGURE_FIELDS, "source_kind": "source_kind", **own}
    cases: list[Params] = []
    can_narrow: set[str] = set()
    for name, field in fields.items():
        present, partial = _partial_values(studies if name in STUDY_FILTER_NAMES else items, field)
        chosen = partial or present
        can_narrow |= {name} if partial and name not in STUDY_TAG_ONLY else set()
        absent = sorted(set(EXTRA_VALUES.get(name, [])) - set(present))[:1]
        cases += [{name: [chosen[0]]}, {name: [chosen[-1]]}, {name: sorted({chosen[0], present[-1]})}]
        cases += [{name: absent}] if absent else []
    # Bounds are inclusive: ages and sizes some study has at its very edge, as well as round ones.
    edges = [min(s["age_min"] for s in studies if s["age_min"] is not None)]
    edges += [max(s["age_max"] for s in studies if s["age_max"] is not None)]
    sizes = sorted(s["n_enrolled"] for s in studies if s["n_enrolled"] is not None)
    cases += [{"min_patients": n} for n in (0, 50, 100, 300, sizes[len(sizes) // 2])]
    cases += [{"age": a} for a in (0, 10, 20, 40, *edges)]
    can_narrow |= {"min_patients", "age"}
    if path != "/v1/studies":
        subgroups = _values(items, "subgroup")
        unused = sorted({s.value for s in Subgroup} - set(subgroups))[:1]  # a subgroup no figure is for
        cases += [{"subgroup": [s]} for s in [*subgroups, *unused, "none", "any"]]
        cases += [{"subgroup": [*subgroups[:1], "none"]}]
        can_narrow |= {"subgroup"} if subgroups else set()
    if path == "/v1/adverse-events":
        cases += [{"min_grade": grade} for grade in range(1, 6)]
        can_narrow |= {"min_grade"}
    return cases, can_narrow


STUDY_FILTER_NAMES = {*STUDY_LIST_FILTERS, *STUDY_SCALAR_FILTERS, *STUDY_TAG_ONLY}


@pytest.mark.parametrize("path", list(ONE_FILTER_LISTS))
def test_each_filter_alone_selects_exactly_its_items(client: TestClient, data: dict[str, Any], path: str) -> None:
    own, facet_fields = ONE_FILTER_LISTS[path]
    items = _listed(data, path)
    cases, can_narrow = _one_filter_cases(data, path)
    narrowed: set[str] = set()
    for params in cases:
        tagged = {n: _tagged(client, n, params[n]) for n in STUDY_TAG_ONLY if n in params}
        if path == "/v1/studies":
            expected = [s for s in items if _study_matches(s, params, tagged)]
        else:
            expected = [i for i in items if _figure_matches(i, params, own, by_study=data["by_study"], tagged=tagged)]
        if 0 < len(expected) < len(items):
            narrowed |= set(params)
        _check_listing(client, path, {**params, "limit": 7}, expected, facet_fields=facet_fields)
    # Every filter the data let narrow a list was seen to keep some items and leave others out.
    assert can_narrow <= narrowed
