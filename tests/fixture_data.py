"""The curated fixtures read straight from YAML, so tests compare the service with its source."""

from pathlib import Path
from typing import Any

import yaml

from api.settings import PROJECT_ROOT

STUDIES_DIR = PROJECT_ROOT / "fixtures" / "studies"
# libyaml's safe loader and dumper where PyYAML has them: the same documents as yaml.safe_load and
# yaml.safe_dump, several times faster (the fault corpus and the parametrised tests read every study
# while collecting, in every worker). PyYAML's own, not the service's reader: tests compare with it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read_yaml(text: str) -> Any:
    """yaml.safe_load, through libyaml."""
    return yaml.load(text, Loader=_LOADER)


def dump_yaml(data: Any, **options: Any) -> str:
    """yaml.safe_dump, through libyaml."""
    return yaml.dump(data, Dumper=_DUMPER, **options)


def load_yaml(path: Path) -> dict:
    return read_yaml(path.read_text(encoding="utf-8")) or {}


def study_ids() -> list[str]:
    """The id of every study file, sorted."""
    return sorted(path.stem for path in STUDIES_DIR.glob("*.yaml"))


def study(study_id: str) -> dict:
    """One study file as curated."""
    return load_yaml(STUDIES_DIR / f"{study_id}.yaml")


def studies() -> dict[str, dict]:
    """Every study file, by id."""
    return {study_id: study(study_id) for study_id in study_ids()}


# The roles of the treatment a study gave, which agent= and therapy_class= match by default (issue 19):
# written out here, not imported, so a change to the service's list fails the tests that use it.
GIVEN_ROLES = {"investigational", "backbone", "lymphodepletion", "conditioning", "bridging"}


def interventions(study: dict, roles: set[str] | None = GIVEN_ROLES) -> list[dict]:
    """The study's interventions in these roles (None: every role); a missing role is investigational."""
    every = [x for arm in study.get("arms", []) for x in arm.get("interventions", [])]
    return [x for x in every if roles is None or x.get("role", "investigational") in roles]


def filter_values(study: dict, roles: set[str] | None = GIVEN_ROLES) -> dict[str, set[str]]:
    """What each evidence-table filter can match in a study, computed from the raw file.

    Agents and therapy classes count in the roles given (by default the treatment the study
    gave); the study's own therapy_classes count with the default roles and with every role.
    """
    products = study.get("car_products", [])
    own_classes = set(study.get("therapy_classes", [])) if roles is None or roles == GIVEN_ROLES else set()
    return {
        "target_antigen": {a for p in products for a in p["target_antigens"]},
        "agent": {x["agent"] for x in interventions(study, roles)},
        "disease": set(study.get("diseases", [])),
        "setting": {study["setting"]},
        "cell_source": {p["cell_source"] for p in products},
        "therapy_class": own_classes
        | {x["therapy_class"] for x in interventions(study, roles) if x.get("therapy_class")},
    }


def matching_study_ids(name: str, *values: str) -> list[str]:
    """Studies matching any of values for one filter."""
    return sorted(sid for sid, study in studies().items() if set(values) & filter_values(study)[name])


def sources() -> dict[str, dict]:
    registry = load_yaml(PROJECT_ROOT / "seeds" / "sources.yaml")
    return {s["id"]: s for s in registry["sources"]}
