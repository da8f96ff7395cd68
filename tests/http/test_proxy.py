"""Debian's nginx on loopback as a caching reverse proxy in front of two processes serving one file.

Checks that the responses' headers let a shared cache do its job, and only its job: repeated
requests become hits, If-None-Match gets a 304 through the proxy, and nothing cached for one
client (Host, Accept, Origin) is handed to another. Skipped where nginx is not installed
(.ci/run installs it with apt-get).
"""

import getpass
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support import built_file, free_port, running

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's package)")

ALLOWED_ORIGIN = "https://lab.example.org"
CONFIG = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
{user}
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=tall:4m max_size=64m inactive=1h use_temp_path=off;
    upstream tall {{
        server 127.0.0.1:{first};
        server 127.0.0.1:{second};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://tall;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_cache tall;
            # The Host is part of what a response depends on (absolute links): key on it.
            proxy_cache_key $scheme$http_host$request_uri;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_background_update on;
            # Serving stale while updating is left to the service's stale-while-revalidate.
            proxy_cache_use_stale error timeout;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx on a free loopback port, caching two `serve --database` processes on one built file."""
    database = built_file(tmp_path_factory.mktemp("proxy-build"))
    root = tmp_path_factory.mktemp("nginx")
    # A short s-maxage so a test can watch an entry expire and be revalidated.
    env = {"TALL_CORS_ORIGINS": ALLOWED_ORIGIN, "TALL_CACHE_S_MAXAGE": "2", "TALL_CACHE_STALE_WHILE_REVALIDATE": "0"}
    with ExitStack() as stack:
        first = stack.enter_context(running("--database", str(database), env=env))
        second = stack.enter_context(running("--database", str(database), env=env))
        port = free_port()
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""  # workers must reach root's temp dir
        config = root / "nginx.conf"
        config.write_text(
            CONFIG.format(
                root=root,
                user=user,
                port=port,
                first=first.base.rsplit(":", 1)[1],
                second=second.base.rsplit(":", 1)[1],
            )
        )
        nginx = subprocess.Popen(
            [str(NGINX), "-c", str(config), "-p", str(root), "-e", str(root / "error.log")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/health", timeout=2)
                    break
                except httpx.TransportError:
                    log = (root / "error.log").read_text() if (root / "error.log").exists() else ""
                    assert nginx.poll() is None, f"nginx exited: {nginx.stdout.read() if nginx.stdout else ''}{log}"
                    assert time.monotonic() < deadline, f"nginx did not answer within 30 s: {log}"
                    time.sleep(0.05)
            yield base
        finally:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(timeout=10)


def _get(base: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(base + path, headers=headers, timeout=30)


def test_a_repeated_request_is_a_hit_with_the_same_bytes(proxy: str) -> None:
    first = _get(proxy, "/v1/studies?limit=3")
    second = _get(proxy, "/v1/studies?limit=3")
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]


def test_if_none_match_gets_a_304_through_the_proxy(proxy: str) -> None:
    first = _get(proxy, "/v1/outcomes?limit=2")
    assert first.status_code == 200
    again = _get(proxy, "/v1/outcomes?limit=2", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    other = _get(proxy, "/v1/outcomes?limit=2", **{"If-None-Match": '"some-other-tag"'})
    assert other.status_code == 200 and other.content == first.content


def test_an_expired_entry_is_revalidated_with_the_service(proxy: str) -> None:
    first = _get(proxy, "/v1/conflicts")
    assert "s-maxage=2" in first.headers["cache-control"]
    time.sleep(3)
    again = _get(proxy, "/v1/conflicts")
    # The service answered the proxy's If-None-Match with a 304: nginx reports REVALIDATED.
    assert again.headers["x-cache-status"] == "REVALIDATED"
    assert again.content == first.content


def test_a_pinned_url_is_kept_for_a_year(proxy: str) -> None:
    version = _get(proxy, "/v1/meta").json()["dataset_version"]
    pinned = _get(proxy, f"/v1/sources?version={version}")
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert _get(proxy, f"/v1/sources?version={version}").headers["x-cache-status"] == "HIT"
    wrong = _get(proxy, "/v1/sources?version=ffffffffffffffff")
    assert wrong.status_code == 404 and version in wrong.json()["detail"]


def test_one_hosts_links_never_reach_another_host(proxy: str) -> None:
    one = _get(proxy, "/v1/studies?limit=1", Host="a.example.org")
    two = _get(proxy, "/v1/studies?limit=1", Host="b.example.org")
    assert one.json()["links"]["self"].startswith("http://a.example.org/")
    assert two.json()["links"]["self"].startswith("http://b.example.org/")
    assert _get(proxy, "/v1/studies?limit=1", Host="b.example.org").headers["x-cache-status"] == "HIT"
    assert _get(proxy, "/v1/studies?limit=1", Host="b.example.org").json() == two.json()


def test_csv_and_json_of_one_url_are_kept_apart(proxy: str) -> None:
    as_json = _get(proxy, "/v1/sources")
    as_csv = _get(proxy, "/v1/sources", Accept="text/csv")
    as_json_again = _get(proxy, "/v1/sources", Accept="application/json")
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_json_again.headers["content-type"].startswith("application/json")
    assert as_json_again.json() == as_json.json()
    assert "accept" in as_csv.headers["vary"].lower()


def test_one_origins_cors_grant_never_reaches_another(proxy: str) -> None:
    allowed = _get(proxy, "/v1/epidemiology", Origin=ALLOWED_ORIGIN)
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "origin" in allowed.headers["vary"].lower()
    for headers in ({"Origin": "https://elsewhere.example"}, {}):
        other = _get(proxy, "/v1/epidemiology", **headers)
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers, headers
    assert _get(proxy, "/v1/epidemiology", Origin=ALLOWED_ORIGIN).headers["access-control-allow-origin"] == (
        ALLOWED_ORIGIN
    )
