"""The filter models are the single declaration of the filter query parameters."""

import pytest
from fastapi.testclient import TestClient

from api.queries.filters import (
    TIME_POINT_FORMS,
    AdverseEventFilters,
    Conditions,
    FigureFilters,
    OutcomeFilters,
    StudyFilters,
)
from api.state import app_state
from models import Outcome, Study
from models.enums import Antigen, Disease, Measure

STUDY = list(StudyFilters.model_fields)


def _query_parameters(document: dict, path: str) -> list[str]:
    return [p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"]


def test_the_document_lists_each_models_fields_in_their_order(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    outcome, adverse_event = list(OutcomeFilters.model_fields), list(AdverseEventFilters.model_fields)
    paging = ["sort", "limit", "offset"]
    assert _query_parameters(document, "/v1/studies") == [*paging, *STUDY]
    assert _query_parameters(document, "/v1/studies/facets") == STUDY
    assert _query_parameters(document, "/embed/table") == ["limit", "offset", *STUDY]  # a page of the table
    assert _query_parameters(document, "/v1/outcomes") == [*paging, *outcome, *STUDY]
    assert _query_parameters(document, "/v1/outcomes/facets") == [*outcome, *STUDY]
    assert _query_parameters(document, "/v1/adverse-events") == [*paging, *adverse_event, *STUDY]
    assert _query_parameters(document, "/v1/adverse-events/facets") == [*adverse_event, *STUDY]


def test_figure_lists_share_the_figure_fields_after_their_own() -> None:
    shared = list(FigureFilters.model_fields)
    assert list(OutcomeFilters.model_fields) == ["measure", "time_point", *shared]
    assert list(AdverseEventFilters.model_fields) == ["term", "min_grade", "grading_system", *shared]


def test_field_declarations_reach_the_document(client: TestClient) -> None:
    parameters = {
        p["name"]: p for p in client.get("/openapi.json").json()["paths"]["/v1/outcomes"]["get"]["parameters"]
    }
    for name, field in {**StudyFilters.model_fields, **OutcomeFilters.model_fields}.items():
        assert parameters[name]["description"] == field.description, name
    year = parameters["year"]["schema"]["anyOf"][0]
    assert year["type"] == "array" and {"minimum", "maximum"} <= set(year["items"])


def test_repeated_parameters_are_alternatives_and_bounds_refused(client: TestClient) -> None:
    both = client.get("/v1/studies", params=[("disease", "T-ALL"), ("disease", "T-LBL"), ("limit", 500)]).json()
    one = client.get("/v1/studies", params={"disease": "T-LBL", "limit": 500}).json()
    assert both["total"] > one["total"] > 0
    refused = client.get("/v1/studies", params={"min_patients": -1})
    assert refused.status_code == 422
    assert [e["location"] for e in refused.json()["errors"]] == ["query.min_patients"]


def test_unknown_parameters_are_refused_listing_every_model_field(client: TestClient) -> None:
    body = client.get("/v1/outcomes", params={"colour": "red"}).json()
    accepted = set(body["detail"].split("This route accepts: ", 1)[1].rstrip(".").split(", "))
    assert {*STUDY, *OutcomeFilters.model_fields} <= accepted


def test_the_study_filters_of_a_figure_list_are_part_of_what_was_asked(client: TestClient) -> None:
    """Totals are remembered under `asked`: two figure filters differing only in their study filters must differ."""
    database = app_state(client.app).database
    figures = OutcomeFilters(measure=[Measure("cr")])
    with next(database.session()) as session:
        plain = figures.conditions(session)
        cd7 = figures.within(StudyFilters(target_antigen=[Antigen("CD7")])).conditions(session)
        t_lbl = figures.within(StudyFilters(disease=[Disease("T-LBL")])).conditions(session)
    assert len({plain.asked, cd7.asked, t_lbl.asked}) == 3
    assert len(cd7.all) == len(plain.all) + 1


def test_a_condition_added_after_the_filters_were_written_out_clears_them() -> None:
    """A count is remembered under `asked`; conditions added later must not be counted under the old text."""
    for add in (
        lambda c: c.add(Study.id == "x"),
        lambda c: c.add_among(Outcome.study_id, Study.id, conditions=[Study.id == "x"], table=Outcome),
    ):
        conditions = Conditions(asked="the filters as asked")
        add(conditions)
        assert conditions.asked is None and len(conditions.all) == len(conditions.first) == 1
    unchanged = Conditions(asked="the filters as asked")
    unchanged.add(None)  # no condition: nothing to clear
    assert unchanged.asked == "the filters as asked" and unchanged.all == unchanged.first == []


def test_a_time_point_not_in_a_known_form_is_refused_naming_the_forms(client: TestClient) -> None:
    for value in ("2 years", "2Y", "d", "cycle", "٢y"):
        response = client.get("/v1/outcomes", params={"time_point": value})
        assert response.status_code == 422, value
        [error] = response.json()["errors"]
        assert error["location"] == "query.time_point.0"
        assert (
            error["message"] == f"{value!r} is not a time point: {TIME_POINT_FORMS}; 'none' for figures that state none"
        )
    for value in ("d28", "18m", "1.5y", "cycle1", "best", "none"):
        assert client.get("/v1/outcomes", params={"time_point": value}).status_code == 200, value


def test_list_filters_say_they_can_be_repeated_and_are_optional(client: TestClient) -> None:
    """Declared by one helper at import (so the mutation run cannot vary it): checked here, in the document."""
    parameters = client.get("/openapi.json").json()["paths"]["/v1/outcomes"]["get"]["parameters"]
    listed = [p for p in parameters if p["in"] == "query" and "array" in str(p["schema"])]
    assert len(listed) > 10
    for parameter in listed:
        # Each says what it filters on, then that repeats are alternatives.
        what, repeat = parameter["description"].split(" Repeat", 1)
        assert what and repeat.endswith(" for alternatives."), parameter["name"]
    assert not any(p.get("required") for p in parameters if p["in"] == "query")


@pytest.mark.parametrize(
    ("path", "codes", "terms"),
    [
        ("/v1/studies", {"disease": "MONDO:0004963", "target_antigen": "HGNC:1695"}, {"target_antigen": "CD7"}),
        ("/v1/outcomes", {"measure": "NCIT:C4870", "disease": "MONDO:0004963"}, {"measure": "cr"}),
        (
            "/v1/adverse-events",
            {"term": "MEDDRA:10052015", "disease": "MONDO:0004963"},
            {"term": "cytokine_release_syndrome"},
        ),
    ],
)
def test_a_code_selects_what_its_term_does_and_links_name_the_term(
    client: TestClient, path: str, codes: dict[str, str], terms: dict[str, str]
) -> None:
    """Codes of the list's own filter and of the study filters together: each is read, and each link names its term."""
    terms = {name: terms.get(name, "T-ALL") for name in codes}  # in the same order: links keep it
    by_code = client.get(path, params={**codes, "limit": 2}).json()
    by_term = client.get(path, params={**terms, "limit": 2}).json()
    assert 2 < by_code["total"] == by_term["total"] < client.get(path).json()["total"]
    assert by_code["items"] == by_term["items"]
    for name in ("self", "first", "next"):
        assert by_code["links"][name] == by_term["links"][name]


def test_the_role_decides_which_interventions_an_agent_filter_counts(client: TestClient) -> None:
    """Expected from each study's own arms: the studies giving the agent in one of the roles asked."""
    studies = [client.get(f"/v1/studies/{s['id']}").json() for s in client.get("/v1/studies?limit=500").json()["items"]]

    def giving(agent: str, roles: set[str]) -> set[str]:
        return {
            s["id"]
            for s in studies
            for arm in s["arms"]
            for given in arm["interventions"]
            if given["agent"] == agent and given["role"] in roles
        }

    cases = [({"lymphodepletion"}), ({"investigational"}), ({"investigational", "lymphodepletion"}), ({"backbone"})]
    found = []
    for roles in cases:
        params = [("agent", "cyclophosphamide"), *(("role", r) for r in sorted(roles)), ("limit", 500)]
        found.append({s["id"] for s in client.get("/v1/studies", params=params).json()["items"]})
        assert found[-1] == giving("cyclophosphamide", roles), roles
    assert found[0] and found[1] and not found[0] & found[1] and found[2] == found[0] | found[1]


def test_study_filters_are_written_out_for_the_count_memo(client: TestClient) -> None:
    database = app_state(client.app).database
    with next(database.session()) as session:
        asked = [StudyFilters(disease=[d]).conditions(session)[0].asked for d in Disease]
        asked.append(StudyFilters().conditions(session)[0].asked)
    assert None not in asked and len(set(asked)) == len(asked)


def test_adverse_event_filters_are_written_out_with_their_study_filters(client: TestClient) -> None:
    database = app_state(client.app).database
    events = AdverseEventFilters(min_grade=3)
    with next(database.session()) as session:
        asked = {events.within(StudyFilters(disease=[d])).conditions(session).asked for d in Disease}
        asked.add(events.conditions(session).asked)
    assert None not in asked and len(asked) == len(Disease) + 1


NOT_PLAIN_NUMBERS = ("1_0", " 5", "5 ", "+5", "5.", ".5", "inf", "nan", "٣", "\uff15", "1e", "0x1", "")


@pytest.mark.parametrize("path", ["/v1/studies", "/v1/outcomes", "/v1/adverse-events"])
def test_an_age_not_written_in_plain_digits_is_refused(client: TestClient, path: str) -> None:
    # float() would read '1_0' as 10 and take the rest; nobody wrote those numbers.
    for value in NOT_PLAIN_NUMBERS:
        response = client.get(path, params={"age": value})
        assert response.status_code == 422, value
        [error] = response.json()["errors"]
        assert error["location"] == "query.age"
        assert "ASCII digits" in error["message"], value
    for value, expected in (("10", 10.0), ("10.5", 10.5), ("1e1", 10.0), ("1E+1", 10.0), ("100e-1", 10.0)):
        assert StudyFilters.model_validate({"age": value}).age == expected, value
        assert client.get(path, params={"age": value}).status_code == 200, value
    assert client.get(path, params={"age": "-1"}).status_code == 422  # digits, but out of range


@pytest.mark.parametrize("facet", ["time_point", "subgroup", "measure"])
def test_every_value_a_facet_offers_is_a_filter_selecting_its_count(client: TestClient, facet: str) -> None:
    """Session 12's probe (A9): the outcome facets offered time_point 'none' (26 figures), which the
    filter refused: a facet is a filter menu, so each value it lists selects exactly its count."""
    values = client.get("/v1/outcomes/facets").json()["facets"][facet]
    assert any(v["value"] == "none" for v in values) or facet == "measure", values
    for value in values:
        answer = client.get("/v1/outcomes", params={facet: value["value"], "limit": 1})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == value["count"], (facet, value)


def test_no_time_point_is_its_keyword_in_any_case(client: TestClient) -> None:
    """The ninth probe: time_point=NONE was a 422 where subgroup=NONE is folded (enumerated values, any case)."""
    none = client.get("/v1/outcomes", params={"time_point": "none"}).json()["total"]
    assert none and client.get("/v1/outcomes", params={"time_point": "NONE"}).json()["total"] == none


def test_a_time_point_itself_takes_no_keyword() -> None:
    """A claim's time point (TimePointOnly): a time point, never 'none' (the ninth probe, C11: 'CR at none')."""
    from pydantic import TypeAdapter, ValidationError

    from api.queries.filters import TIME_POINT_FORMS, TimePointOnly

    adapter = TypeAdapter(TimePointOnly)
    for value in ("d28", "18m", "1.5y", "cycle1", "best"):
        assert adapter.validate_python(value) == value
    for value in ("none", "NONE", "d028", "2 years"):
        with pytest.raises(ValidationError) as refused:
            adapter.validate_python(value)
        assert refused.value.errors()[0]["msg"] == f"{value!r} is not a time point: {TIME_POINT_FORMS}", value


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ({"24m": 1, "2y": 1}, "24m"),  # as many: the first in code-point order, whatever the order given
        ({"2y": 1, "24m": 1}, "24m"),
        ({"84m": 1, "7y": 1}, "7y"),
        ({"24m": 1, "2y": 2}, "2y"),  # the code most write
        ({"2y": 1, "24m": 3}, "24m"),
        ({"1.5y": 2, "18m": 1}, "1.5y"),
        ({"d28": 4}, "d28"),
    ],
)
def test_a_time_written_more_than_one_way_is_named_by_the_code_most_write(written: dict[str, int], name: str) -> None:
    from api.queries.filters import time_point_name

    assert time_point_name(written) == name


def test_counts_by_code_are_gathered_by_time_under_its_name() -> None:
    """Session 14's probe (GA7): the facet counted 24m and 2y apart, where either filter selects both."""
    from api.queries.filters import counts_by_time

    counts = {"none": 9, "24m": 1, "2y": 3, "18m": 2, "1.5y": 2, "d28": 1, "best": 5, "cycle1": 1, "3y": 4}
    assert counts_by_time(counts) == {"none": 9, "2y": 4, "1.5y": 4, "d28": 1, "best": 5, "cycle1": 1, "3y": 4}
    assert counts_by_time({"7y": 2, "84m": 2, "d84": 1}) == {"7y": 4, "d84": 1}  # d84 is a day, not 84 months
    assert counts_by_time({}) == {}
