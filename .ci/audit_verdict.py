"""Decide what a pip-audit run means for CI: fail on findings, carry on when the service is unreachable.

Usage: audit_verdict.py EXIT_STATUS REPORT_JSON LOG_FILE

pip-audit exits 1 both when it finds vulnerabilities and when it cannot reach its
vulnerability service, so the exit status alone cannot tell a finding from an outage:
the JSON report (written only when the audit ran) and the log decide.
"""

import json
import sys
from pathlib import Path
from typing import Any

# What requests/urllib3 say when the service cannot be reached at all.
UNREACHABLE = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "ProxyError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "timed out",
)


def _report(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("dependencies"), list) else None


def verdict(status: int, report: dict[str, Any] | None, log: str) -> tuple[int, list[str]]:
    """(exit status for CI, lines to print)."""
    if report is not None:
        dependencies = report["dependencies"]
        vulnerable = [d for d in dependencies if d.get("vulns")]
        skipped = [d for d in dependencies if "skip_reason" in d]
        audited = len(dependencies) - len(skipped)
        if vulnerable:
            lines = [f"pip-audit: {len(vulnerable)} installed package(s) with known vulnerabilities:"]
            for dep in vulnerable:
                for vuln in dep["vulns"]:
                    fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
                    lines.append(f"  {dep['name']} {dep.get('version', '?')}: {vuln.get('id', '?')} (fixed in {fixed})")
            return 1, lines
        if status == 0:
            if audited == 0 and skipped:
                return 0, [
                    f"pip-audit: the vulnerability service had no record of any of the {len(skipped)} installed "
                    "packages (a mirror without the JSON API?); NOTHING WAS AUDITED, continuing"
                ]
            lines = [f"pip-audit: {audited} package(s) audited, no known vulnerabilities"]
            if skipped:
                lines.append(f"pip-audit: {len(skipped)} not audited: {', '.join(d['name'] for d in skipped)}")
            return 0, lines
    if status != 0 and any(marker in log for marker in UNREACHABLE):
        last = next((line for line in reversed(log.splitlines()) if line.strip()), "")
        return 0, [f"pip-audit: vulnerability service unreachable, audit SKIPPED, continuing ({last.strip()[:300]})"]
    return 1, [f"pip-audit failed (exit {status}) for a reason other than an unreachable service:", log[-2000:]]


def main(argv: list[str]) -> int:
    status, report_path, log_path = int(argv[1]), Path(argv[2]), Path(argv[3])
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    code, lines = verdict(status, _report(report_path), log)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
