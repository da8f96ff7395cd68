"""Keyword-only arguments past the third positional one, on every function of api/ and models/."""

import ast
from pathlib import Path

import pytest

from api.settings import PROJECT_ROOT


def sources() -> list[Path]:
    return sorted([*(PROJECT_ROOT / "api").rglob("*.py"), *(PROJECT_ROOT / "models").rglob("*.py")])


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
