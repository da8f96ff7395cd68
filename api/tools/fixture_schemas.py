"""JSON Schemas of the fixture formats, generated from the models and committed."""

import json
from pathlib import Path

from pydantic import BaseModel

from api.tools.committed_files import staleness, write_generated
from models.fixture import ConflictsFile, EpidemiologyFile, SourcesFile, StudyFile

SCHEMAS: dict[str, type[BaseModel]] = {
    "study.schema.json": StudyFile,
    "sources.schema.json": SourcesFile,
    "conflicts.schema.json": ConflictsFile,
    "epidemiology.schema.json": EpidemiologyFile,
}


def render_schema(model: type[BaseModel]) -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> tuple[list[Path], list[str]]:
    """Write every schema into directory: the paths written, and each one not written with why."""
    directory.mkdir(parents=True, exist_ok=True)
    written, problems = [], []
    for name, model in SCHEMAS.items():
        path = directory / name
        problem = write_generated(path, render_schema(model))
        if problem is None:
            written.append(path)
        else:
            problems.append(f"{path}: {problem}")
    return written, problems


def stale_schemas(directory: Path) -> list[str]:
    """Names of committed schemas that differ from what the models generate now, each with why."""
    reasons = {name: staleness(directory / name, render_schema(model)) for name, model in SCHEMAS.items()}
    return [f"{name} ({reason})" for name, reason in reasons.items() if reason is not None]
