"""Headless Chromium (Debian's package, driven by Playwright) against a real API server and a
demo lab page on a second loopback origin.

Skipped, saying why, where Playwright or /usr/bin/chromium is missing (.ci/run installs
Chromium). Never runs `playwright install`: the browser is the system one.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.settings import PROJECT_ROOT
from tests.browser.demo_server import start_demo_server
from tests.support import serving_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
# The policy the hardening middleware (another branch) puts on HTML responses. Until it is
# merged, the tests add it to the API's HTML responses themselves, so the pages are
# checked under it either way.
HARDENING_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors *"

try:
    from playwright import sync_api
except ImportError:  # the browser fixture skips, saying so
    sync_api = None


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    """The API, served by uvicorn on a free loopback port for the whole session."""
    with serving_in_thread() as url:
        yield url


@pytest.fixture(scope="session")
def demo_url(api_url: str) -> Iterator[str]:
    """The demo lab page, on another origin (another port) than the API."""
    server = start_demo_server(api_url)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator["sync_api.Browser"]:
    if sync_api is None:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page and everything that went wrong while it loaded."""

    page: "sync_api.Page"
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.console_errors + self.failed_requests + self.foreign_requests


@pytest.fixture
def open_page(browser: "sync_api.Browser", api_url: str) -> Iterator:
    """open_page(url, width=...) -> Watched: a fresh context where requests to any host other
    than 127.0.0.1 are blocked (and recorded), and the API's HTML carries the hardening CSP."""
    contexts = []
    api_origin = urlsplit(api_url).netloc

    def route(route: "sync_api.Route", watched: Watched) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in {"http", "https"} and url.hostname != "127.0.0.1":
            watched.foreign_requests.append(f"request to another host: {route.request.url}")
            route.abort()
            return
        if url.netloc != api_origin:
            route.continue_()
            return
        response = route.fetch()
        headers = dict(response.headers)
        if headers.get("content-type", "").startswith("text/html"):
            headers["content-security-policy"] = HARDENING_CSP
        route.fulfill(response=response, headers=headers)

    def open_(url: str, width: int = 1280, height: int = 900) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)
        context.route("**/*", lambda r: route(r, watched))
        page.on("console", lambda m: m.type == "error" and watched.console_errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: watched.console_errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: watched.failed_requests.append(f"failed: {r.url} ({r.failure})"))
        page.on(
            "response",
            lambda r: r.status >= 400 and watched.failed_requests.append(f"HTTP {r.status}: {r.url}"),
        )
        page.goto(url)
        return watched

    yield open_
    for context in contexts:
        context.close()


def screenshot(target: "sync_api.Page | sync_api.Locator", name: str, full_page: bool = True) -> Path:
    """Write a screenshot to tests/artifacts/ (gitignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if hasattr(target, "goto"):  # a page: all of it, or what the window shows
        target.screenshot(path=str(path), full_page=full_page)
    else:
        target.screenshot(path=str(path))
    return path
