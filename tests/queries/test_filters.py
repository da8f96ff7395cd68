"""The filter models are the single declaration of the filter query parameters."""

from fastapi.testclient import TestClient

from api.queries.filters import AdverseEventFilters, FigureFilters, OutcomeFilters, StudyFilters
from api.state import app_state
from models.enums import Antigen, Disease, Measure

STUDY = list(StudyFilters.model_fields)


def _query_parameters(document: dict, path: str) -> list[str]:
    return [p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"]


def test_the_document_lists_each_models_fields_in_their_order(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    outcome, adverse_event = list(OutcomeFilters.model_fields), list(AdverseEventFilters.model_fields)
    paging = ["sort", "limit", "offset"]
    assert _query_parameters(document, "/v1/studies") == [*paging, *STUDY]
    assert _query_parameters(document, "/v1/studies/facets") == _query_parameters(document, "/embed/table") == STUDY
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
