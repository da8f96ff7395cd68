"""The import rules stated in api/__init__.py, checked on every import statement of api/ and models/."""

import ast
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT

# Layer -> the layers it may import ("models" is open to every layer of api).
ALLOWED: dict[str, set[str]] = {
    "main": {
        "routes",
        "middleware",
        "render",
        "queries",
        "loading",
        "provenance",
        "tools",
        "deps",
        "errors",
        "settings",
        "database",
        "lru",
        "state",
        "data_source",
        "garbage_collector",
    },
    "cli": {"main", "loading", "provenance", "tools", "database", "settings", "server"},
    "server": set(),
    "routes": {"queries", "render", "deps", "errors", "settings"},
    "middleware": {"render", "errors", "settings", "lru", "state"},
    "render": {"errors", "settings", "state"},
    "queries": {"database", "errors", "lru"},
    "loading": {"provenance", "database", "errors", "settings", "garbage_collector"},
    "data_source": {"loading", "database", "settings"},
    "garbage_collector": set(),
    "provenance": set(),
    "tools": {"loading", "queries"},
    "deps": {"database", "errors", "settings", "state"},
    "errors": set(),
    "settings": set(),
    "database": set(),
    "state": {"database", "lru"},
    "lru": set(),
}


# Feature packages (api/<feature>/) hold one face whole; each module keeps to the layer of its job,
# named here (a module not named is render). The package itself is open to main alone.
FEATURE_LAYERS: dict[str, dict[str, str]] = {"fhir": {"routes": "routes", "queries": "queries"}}


def layer_of(module: str) -> str:
    """api.queries.filters -> queries; api.main -> main; models.study -> models; api.fhir.routes -> routes."""
    parts = module.split(".")
    if parts[0] == "models":
        return "models"
    if len(parts) > 1 and parts[1] in FEATURE_LAYERS:
        return FEATURE_LAYERS[parts[1]].get(parts[2], "render") if len(parts) > 2 else "main"
    return parts[1] if len(parts) > 1 else "api"


def module_name(path: Path, root: Path = PROJECT_ROOT) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(path: Path, root: Path = PROJECT_ROOT) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, inside functions too; relative imports resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from api import counts` imports a module, not a name of api/__init__.py.
            packages = {"api", "models", *(f"api.{feature}" for feature in FEATURE_LAYERS)}
            found += [(node.lineno, f"{base}.{alias.name}" if base in packages else base) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in {"api", "models"}]


def sources() -> list[Path]:
    return sorted([*(PROJECT_ROOT / "api").rglob("*.py"), *(PROJECT_ROOT / "models").rglob("*.py")])


def violations(path: Path, root: Path = PROJECT_ROOT) -> list[str]:
    source = layer_of(module_name(path, root))
    found = []
    for line, target in imported_modules(path, root):
        imported = layer_of(target)
        if imported == source or (imported == "models" and source != "models"):
            continue
        if source == "models" or imported not in ALLOWED.get(source, set()):
            found.append(f"{path.relative_to(root).as_posix()}:{line} imports {target} ({source} -> {imported})")
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_imports_go_only_downwards(path: Path) -> None:
    assert violations(path) == []


def test_every_package_of_api_is_a_known_layer() -> None:
    """A new package or top-level module must be given its rules before it can be imported."""
    layers = {layer_of(module_name(p)) for p in (PROJECT_ROOT / "api").rglob("*.py")} - {"api"}
    assert layers <= set(ALLOWED)


def test_the_checker_names_an_import_that_goes_upwards(tmp_path: Path) -> None:
    """The rules would catch a query building a Response through render, or errors importing templates."""
    root = tmp_path
    (root / "api" / "queries").mkdir(parents=True)
    (root / "models").mkdir()
    query = root / "api" / "queries" / "bad.py"
    query.write_text("from api.render.formats import csv_response\nfrom api.queries.pages import where\n")
    errors = root / "api" / "errors.py"
    errors.write_text("def f():\n    from api.render.html import render_page\n")
    model = root / "models" / "bad.py"
    model.write_text("from api.settings import Settings\n")
    relative = root / "api" / "queries" / "rel.py"
    relative.write_text("from ..routes import studies\n")
    assert violations(query, root) == ["api/queries/bad.py:1 imports api.render.formats (queries -> render)"]
    assert violations(errors, root) == ["api/errors.py:2 imports api.render.html (errors -> render)"]
    assert violations(model, root) == ["models/bad.py:1 imports api.settings (models -> settings)"]
    assert violations(relative, root) == ["api/queries/rel.py:1 imports api.routes (queries -> routes)"]


def test_feature_package_modules_keep_to_their_layers(tmp_path: Path) -> None:
    """In api/fhir/, queries may not import the routes beside it, nor rendering the queries."""
    package = tmp_path / "api" / "fhir"
    package.mkdir(parents=True)
    (package / "queries.py").write_text("from api.fhir import routes\nfrom api.queries.pages import where\n")
    (package / "resources.py").write_text(
        "from api.fhir.queries import fhir_inputs\nfrom api.render.labels import label\n"
    )
    (package / "routes.py").write_text("from api.fhir import queries, resources\n")
    assert violations(package / "queries.py", tmp_path) == [
        "api/fhir/queries.py:1 imports api.fhir.routes (queries -> routes)"
    ]
    assert violations(package / "resources.py", tmp_path) == [
        "api/fhir/resources.py:1 imports api.fhir.queries (render -> queries)"
    ]
    assert violations(package / "routes.py", tmp_path) == []


def positional_overflows(path: Path, root: Path = PROJECT_ROOT, limit: int = 3) -> list[str]:
    """Functions taking more than `limit` positional parameters (self and cls not counted)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in (*node.args.posonlyargs, *node.args.args) if a.arg not in {"self", "cls"}]
            if len(names) > limit:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}({', '.join(names)})")
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_arguments_past_the_third_are_keyword_only(path: Path) -> None:
    assert positional_overflows(path) == []


def test_the_signature_check_names_a_long_positional_signature(tmp_path: Path) -> None:
    module = tmp_path / "api" / "long.py"
    module.parent.mkdir()
    module.write_text("def f(a, b, c, d):\n    pass\n\ndef g(a, b, c, *, d):\n    pass\n")
    assert positional_overflows(module, tmp_path) == ["api/long.py:1 f(a, b, c, d)"]
