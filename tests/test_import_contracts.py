"""The import rules are import-linter contracts (pyproject.toml, run by `lint-imports` in .ci/run);
this checks that they cover every layer, so a new package cannot slip in without rules."""

import tomllib
from typing import Any

from api.settings import PROJECT_ROOT


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def named(key: str) -> set[str]:
    return {str(module) for contract in contracts() for module in contract.get(key, [])}


def layers_of_api() -> set[str]:
    """Each package and top-level module of api/: api.routes, api.settings..."""
    found = set()
    for path in (PROJECT_ROOT / "api").iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            found.add(f"api.{path.name}")
        elif path.suffix == ".py" and path.name != "__init__.py":
            found.add(f"api.{path.stem}")
    return found


def test_every_layer_of_api_has_its_import_rule() -> None:
    # main wires everything together: it may import any layer, so no contract has it as its source.
    missing = layers_of_api() - named("source_modules") - {"api.main"}
    assert not missing, f"layers without an import-linter contract in pyproject.toml: {sorted(missing)}"
    assert "models" in named("source_modules")


def test_every_layer_is_forbidden_to_some_other() -> None:
    """A layer no contract forbids could be imported from anywhere: its place in the order is unstated."""
    unplaced = layers_of_api() - named("forbidden_modules")
    assert not unplaced, f"layers no contract forbids to any other: {sorted(unplaced)}"


def test_sql_is_confined_to_queries_and_loading() -> None:
    (sql,) = [c for c in contracts() if set(c.get("forbidden_modules", [])) == {"sqlalchemy", "sqlmodel"}]
    assert {"api.routes", "api.render", "api.middleware"} <= set(sql["source_modules"])
    # Only type annotations may name the session outside those layers, each exception listed.
    assert all(ignored.endswith("-> sqlmodel") for ignored in sql.get("ignore_imports", []))
