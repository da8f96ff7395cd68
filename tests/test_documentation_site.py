"""The documentation keeps up with the code: every setting documented, every example answered."""

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.settings import PROJECT_ROOT, Settings, environment_names
from api.tools.settings_reference import CONFIGURATION_PAGE, replace_settings_table

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
# Environment variables the docs name that are not settings of the service, and why.
NOT_SETTINGS = {
    "TALL_TEST_POSTGRES_URL": "read by the tests, not the service",
}


def _label(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def test_every_setting_is_described_and_in_the_configuration_page() -> None:
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    for field, info in Settings.model_fields.items():
        assert info.description, f"setting {field} has no description in api/settings.py"
        for name in environment_names(field, info):
            assert f"`{name}`" in page, f"{name} is not in docs/configuration.md"


def test_the_configuration_table_is_the_one_the_settings_model_generates() -> None:
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    assert replace_settings_table(page) == page, "docs/configuration.md is stale: run `tall-evidence configuration`"


def test_every_setting_the_docs_name_exists() -> None:
    known = {name for field, info in Settings.model_fields.items() for name in environment_names(field, info)}
    for path in PAGES:
        for name in set(re.findall(r"\bTALL_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8"))):
            assert name in known or name in NOT_SETTINGS, f"{_label(path)} names {name}, which is no setting"


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, flags=re.DOTALL | re.MULTILINE)


def examples() -> list[tuple[str, str, dict[str, str]]]:
    """(where, path with query, headers) for every curl command and embed URL in a docs code block."""
    found: list[tuple[str, str, dict[str, str]]] = []
    for page in PAGES:
        for block in _code_blocks(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("curl "):
                    words = shlex.split(line, comments=True)
                    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
                    urls = [w for w in words if w.startswith("http")]
                    found += [(_label(page), url, headers) for url in urls]
                found += [
                    (_label(page), url, {})
                    for url in re.findall(r'src="(https://evidence\.example\.org/[^"]+)"', line)
                    if not url.endswith(".js")
                ]
    return [(where, _local(url), headers) for where, url, headers in found]


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_docs_have_examples_to_run() -> None:
    """The extractor finds the examples (it would pass vacuously on a change of their form)."""
    assert len(examples()) >= 30
    assert any(where == "README.md" for where, _, _ in examples())


@pytest.mark.parametrize(("where", "target", "headers"), examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_docs_example_is_answered(client: TestClient, where: str, target: str, headers: dict[str, str]) -> None:
    # A pinned example names the version the reader's server serves; here, the one this test serves.
    target = target.replace("DATASET_VERSION", client.get("/v1/meta").json()["dataset_version"])
    response = client.get(target, headers=headers)
    assert response.status_code == 200, f"{where}: GET {target} answered {response.status_code}: {response.text[:300]}"
    if response.headers["content-type"].startswith(("application/json", "application/fhir+json")):
        body = response.json()
        assert body.get("total", 1) > 0 and body.get("items", [None]) != [], f"{where}: GET {target} found nothing"
