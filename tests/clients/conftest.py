"""A live server on a loopback port, its OpenAPI document on disk, and the tools the client checks need.

The checks skip, naming what is missing, where Node/npm, the npm packages of tests/clients/ts or
openapi-python-client are absent; with TALL_TEST_REQUIRE_CLIENT_TOOLS=1 (set by .ci/clients) a missing
tool fails instead, so CI cannot pass by skipping them.
"""

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import serving_in_thread

TS_DIR = Path(__file__).parent / "ts"


def need(condition: bool, reason: str) -> None:
    """Skip (or, in CI, fail) unless condition holds."""
    if condition:
        return
    if os.environ.get("TALL_TEST_REQUIRE_CLIENT_TOOLS") == "1":
        pytest.fail(f"{reason} (TALL_TEST_REQUIRE_CLIENT_TOOLS=1)")
    pytest.skip(reason)


def need_node_packages() -> None:
    need(shutil.which("node") is not None and shutil.which("npx") is not None, "node/npx not installed")
    need(
        (TS_DIR / "node_modules" / ".bin" / "tsc").exists(),
        "npm packages of tests/clients/ts not installed (run `npm ci` there, or .ci/clients)",
    )


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """The API, served by uvicorn on a free loopback port for the whole session."""
    with serving_in_thread() as url:
        yield url


@pytest.fixture(scope="session")
def openapi_file(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The document as the live server serves it, saved for the generators and linters."""
    import httpx

    document = httpx.get(f"{live_url}/openapi.json", timeout=30).json()
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(document, indent=1))
    return path


@pytest.fixture(scope="session")
def operation_ids(openapi_file: Path) -> set[str]:
    document = json.loads(openapi_file.read_text())
    return {op["operationId"] for ops in document["paths"].values() for op in ops.values()}
