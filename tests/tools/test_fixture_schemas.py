"""The committed JSON Schemas match the models, and every fixture file conforms to them."""

import json

import jsonschema
import pytest

from api.loading.fixture_files import CONFLICTS_FILE, EPIDEMIOLOGY_FILE, SCHEMA_DIR
from api.settings import PROJECT_ROOT
from api.tools.fixture_schemas import SCHEMAS, render_schema
from tests.fixture_data import STUDIES_DIR, load_yaml, study_ids

SCHEMA_PATH = PROJECT_ROOT / "fixtures" / SCHEMA_DIR


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_up_to_date(name: str) -> None:
    committed = (SCHEMA_PATH / name).read_text(encoding="utf-8")
    assert committed == render_schema(SCHEMAS[name]), f"{name} is stale: run `tall-evidence schema`"


def _files() -> list[tuple[str, str]]:
    pairs = [
        (str((STUDIES_DIR / f"{study_id}.yaml").relative_to(PROJECT_ROOT)), "study.schema.json")
        for study_id in study_ids()
    ]
    pairs.append(("seeds/sources.yaml", "sources.schema.json"))
    for name, schema in ((CONFLICTS_FILE, "conflicts.schema.json"), (EPIDEMIOLOGY_FILE, "epidemiology.schema.json")):
        if (PROJECT_ROOT / "fixtures" / name).exists():
            pairs.append((f"fixtures/{name}", schema))
    return pairs


@pytest.mark.parametrize(("file", "schema"), _files())
def test_fixture_file_conforms_to_its_schema(file: str, schema: str) -> None:
    # Editors validate with the JSON Schema alone, so it must accept what the loader accepts.
    document = json.loads((SCHEMA_PATH / schema).read_text(encoding="utf-8"))
    data = json.loads(json.dumps(load_yaml(PROJECT_ROOT / file), default=str))
    jsonschema.validate(data, document)
