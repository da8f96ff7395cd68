"""Clients generated from /openapi.json work out of the box, and the document lints clean.

Each check runs against a live server on 127.0.0.1: a Python client from openapi-python-client
(default configuration) checked by mypy --strict with tests/clients/python_check.py, openapi-generator's
Python client driven by tests/clients/openapi_generator_check.py, a TypeScript
client from openapi-typescript + openapi-fetch checked by tsc --strict with ts/src/check.ts; both
scripts call every operation of the document (compared here with the document's operation ids).
Redocly (recommended rules) and Spectral (spectral:oas) must report no errors and no warnings.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from tests.clients.conftest import TS_DIR, need, need_node_packages

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
# Media types openapi-python-client 0.29 (default configuration) does not parse: none, since every body
# that is not JSON or text is listed under application/octet-stream too. Any warning fails the test.
UNPARSED_BY_PYTHON_GENERATOR: set[str] = set()


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"{command[0]} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done.stdout


def test_redocly_recommended_rules_pass(openapi_file: Path) -> None:
    need_node_packages()
    out = run(
        "npx",
        "--no-install",
        "redocly",
        "lint",
        "--extends",
        "recommended",
        "--format",
        "json",
        openapi_file,
        cwd=TS_DIR,
    )
    totals = json.loads(out[out.index("{") :])["totals"]
    assert totals["errors"] == 0 and totals["warnings"] == 0, totals


def test_spectral_oas_rules_pass(openapi_file: Path, tmp_path: Path) -> None:
    need_node_packages()
    report = tmp_path / "spectral.json"
    lint = ("npx", "--no-install", "spectral", "lint", "--ruleset", ".spectral.yaml", "-f", "json", "-o", report)
    subprocess.run([str(c) for c in (*lint, openapi_file)], cwd=TS_DIR, capture_output=True, timeout=600, check=False)
    findings = json.loads(report.read_text())
    assert [(f["code"], f["path"], f["message"]) for f in findings] == []


def test_generated_python_client_type_checks_and_calls_every_operation(
    live_url: str, openapi_file: Path, operation_ids: set[str], tmp_path: Path
) -> None:
    generator = BIN / "openapi-python-client"
    need(generator.exists(), "openapi-python-client not installed in this environment (pip install '.[test]')")
    out = tmp_path / "client"
    done = subprocess.run(
        [generator, "generate", "--path", openapi_file, "--output-path", out],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    unparsed = set(re.findall(r"Unsupported content_type ([^\s,)]+)", log))
    assert unparsed <= UNPARSED_BY_PYTHON_GENERATOR, log
    warnings = re.findall(r"WARNING parsing (\S+ \S+)", log)
    assert len(warnings) == log.count("Unsupported content_type"), log  # no other kind of warning

    package = next(out.glob("*/__init__.py")).parent
    mypy = BIN / "mypy"
    need(mypy.exists(), "mypy not installed in this environment")
    run(
        mypy,
        "--strict",
        "--no-incremental",
        package.name,
        HERE / "python_check.py",
        cwd=out,
        env={"MYPYPATH": str(out)},
    )
    called = run(sys.executable, HERE / "python_check.py", live_url, cwd=out, env={"PYTHONPATH": str(out)})
    assert set(json.loads(called.splitlines()[-1])) == operation_ids


def test_openapi_generator_python_client_calls_every_operation(
    live_url: str, openapi_file: Path, operation_ids: set[str], tmp_path: Path
) -> None:
    """openapi-generator's Python client (the PyPI wrapper of its jar, on a Java runtime) over every operation:
    ZIP, SVG and NDJSON come back as bytes, CSV and HTML as text, JSON as its models."""
    need(shutil.which("java") is not None, "no Java runtime (openapi-generator runs on one; .ci/clients installs it)")
    generator = BIN / "openapi-generator-cli"
    need(generator.exists(), "openapi-generator-cli not installed in this environment (pip install '.[test]')")
    out = tmp_path / "openapi-generator"
    log = run(
        generator,
        "generate",
        "--input-spec",
        openapi_file,
        "--generator-name",
        "python",
        "--output",
        out,
        "--package-name",
        "tall_evidence_client",
        cwd=tmp_path,
    )
    assert "ERROR" not in log, log
    called = run(sys.executable, HERE / "openapi_generator_check.py", live_url, cwd=out, env={"PYTHONPATH": str(out)})
    assert set(json.loads(called.splitlines()[-1])) == operation_ids


def test_generated_typescript_client_type_checks_and_calls_every_operation(
    live_url: str, openapi_file: Path, operation_ids: set[str], tmp_path: Path
) -> None:
    need_node_packages()
    work = tmp_path / "ts"
    work.mkdir()
    # A private copy of the sources; node_modules is linked, not copied.
    shutil.copytree(TS_DIR / "src", work / "src", ignore=shutil.ignore_patterns("generated"))
    for name in ("package.json", "tsconfig.json"):
        shutil.copy(TS_DIR / name, work / name)
    (work / "node_modules").symlink_to(TS_DIR / "node_modules")
    run("npx", "--no-install", "openapi-typescript", openapi_file, "-o", "src/generated/schema.d.ts", cwd=work)
    run("npx", "--no-install", "tsc", "--strict", "-p", "tsconfig.json", cwd=work)
    called = run("node", "build/check.js", live_url, cwd=work)
    assert set(json.loads(called.splitlines()[-1])) == operation_ids


def code_of(path: Path) -> str:
    """The script without comments and string literals (where words like 'as' are prose)."""
    text = path.read_text()
    if path.suffix == ".py":
        kept = (tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING))
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return " ".join(t.string for t in tokens if t.type not in kept)
    return re.sub(r"//[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`", " ", text)


@pytest.mark.parametrize("path", ["python_check.py", "ts/src/check.ts"])
def test_client_scripts_use_no_casts(path: str) -> None:
    """Typed fields are used as generated: no cast(), `as` assertions, non-null `!`, `any`, Any or type: ignore."""
    code = code_of(HERE / path)
    banned = [r"\bcast\b", r"\bignore\b", r"\bAny\b", r"\bany\b", r"\bas\b(?!\s+const\b)", r"[\w)\]]!\s*[.\[]"]
    assert [p for p in banned if re.search(p, code)] == []
    assert len(code) > 1000  # the stripping left the code itself
