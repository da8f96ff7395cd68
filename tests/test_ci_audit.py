"""The CI dependency audit: findings fail, an unreachable vulnerability service does not."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from api.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / ".ci" / "audit_verdict.py"
_spec = importlib.util.spec_from_file_location("audit_verdict", SCRIPT)
assert _spec is not None and _spec.loader is not None
audit_verdict = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_verdict)

VULNERABLE = {
    "dependencies": [
        {"name": "fastapi", "version": "0.165.0", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": [], "description": ""}],
        },
        {"name": "tall-evidence", "skip_reason": "editable"},
    ],
    "fixes": [],
}
OFFLINE_LOG = (
    "Traceback (most recent call last):\n  ...\n"
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): "
    "Max retries exceeded with url: /pypi/fastapi/0.165.0/json (Caused by NameResolutionError(...))\n"
)


def test_a_finding_fails_and_names_package_vulnerability_and_fix() -> None:
    code, lines = audit_verdict.verdict(1, VULNERABLE, "Found 1 known vulnerability in 1 package\n")
    assert code == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in "\n".join(lines)


def test_an_unreachable_service_is_reported_and_does_not_fail() -> None:
    code, lines = audit_verdict.verdict(1, None, OFFLINE_LOG)
    assert code == 0
    assert "unreachable" in lines[0] and "SKIPPED" in lines[0]


def test_a_service_that_knows_no_package_says_nothing_was_audited() -> None:
    report = {"dependencies": [{"name": "fastapi", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}
    code, lines = audit_verdict.verdict(0, report, "No known vulnerabilities found\n")
    assert code == 0
    assert "NOTHING WAS AUDITED" in lines[0]


def test_a_clean_audit_passes_and_lists_what_was_skipped() -> None:
    report = {**VULNERABLE, "dependencies": [VULNERABLE["dependencies"][0], VULNERABLE["dependencies"][2]]}
    code, lines = audit_verdict.verdict(0, report, "")
    assert code == 0
    assert lines == [
        "pip-audit: 1 package(s) audited, no known vulnerabilities",
        "pip-audit: 1 not audited: tall-evidence",
    ]


def test_any_other_failure_fails() -> None:
    code, lines = audit_verdict.verdict(1, None, "ValueError: invalid requirement\n")
    assert code == 1
    assert "invalid requirement" in lines[-1]


def test_the_script_reads_the_files_ci_passes_it(tmp_path: Path) -> None:
    report, log = tmp_path / "report.json", tmp_path / "log"
    report.write_text(json.dumps(VULNERABLE), encoding="utf-8")
    log.write_text("", encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "1", str(report), str(log)], capture_output=True, text=True)
    assert done.returncode == 1 and "GHSA-h5c8-rqwp-cp95" in done.stdout
    log.write_text(OFFLINE_LOG, encoding="utf-8")
    missing = tmp_path / "not-written.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "1", str(missing), str(log)], capture_output=True, text=True)
    assert done.returncode == 0 and "unreachable" in done.stdout
