"""A study's own fields the documents do not print reach its FHIR ResearchStudy as notes, with the reason."""

import pytest
from fastapi.testclient import TestClient

from models.identifiers import fhir_id
from tests.fixture_data import studies

STUDIES = studies()


@pytest.mark.parametrize("study_id", sorted(STUDIES))
def test_every_inferred_study_and_product_field_is_a_note_with_its_reason(client: TestClient, study_id: str) -> None:
    raw = STUDIES[study_id]
    inferred = [*raw.get("inferred", []), *(i for p in raw.get("car_products", []) for i in p.get("inferred", []))]
    response = client.get(f"/fhir/ResearchStudy/{fhir_id(study_id)}")
    assert response.status_code == 200, response.text
    notes = " ".join(" ".join(n["text"].split()) for n in response.json().get("note", []))
    for inference in inferred:
        said = f"Inferred by curators, not printed: {inference['field'].replace('_', ' ')}: "
        assert said + " ".join(inference["reason"].split())[:60] in notes, inference["field"]
