"""A static server for the demo lab page, on its own origin, with the API's address filled in.

Serves tests/browser/demo/ and replaces __API__ in HTML files with the API's base URL. Under
/strict/ the same pages come with a strict Content-Security-Policy (STRICT_HOST_POLICY): the
policy a careful host page has, plus the one directive each kind of embed needs.
Used by the browser tests; runnable by hand (see demo/README.md).
"""

import argparse
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEMO_DIR = Path(__file__).parent / "demo"
PLACEHOLDER = "__API__"
STRICT_PREFIX = "/strict"


def strict_host_policy(api: str) -> str:
    """A host page that allows only itself, the API's script, and its own styles (no inline ones),
    plus exactly one directive per kind of embed: connect-src for the components (they read the
    JSON API and the stylesheet with fetch), frame-src for the iframes, img-src for the SVG chart."""
    return (
        f"default-src 'self'; script-src 'self' {api}; style-src 'self'; "
        f"connect-src 'self' {api}; frame-src {api}; img-src 'self' data: {api}"
    )


class DemoHandler(SimpleHTTPRequestHandler):
    api = ""

    def do_GET(self) -> None:
        strict = self.path == STRICT_PREFIX or self.path.startswith(STRICT_PREFIX + "/")
        if strict:
            self.path = self.path[len(STRICT_PREFIX) :] or "/"
        path = self.translate_path(self.path)
        if Path(path).is_dir():
            path = str(Path(path) / "index.html")
        if not path.endswith(".html") or not Path(path).is_file():
            super().do_GET()
            return
        body = Path(path).read_text(encoding="utf-8").replace(PLACEHOLDER, self.api).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if strict:
            self.send_header("Content-Security-Policy", strict_host_policy(self.api))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet in tests
        pass


def start_demo_server(api: str, port: int = 0) -> ThreadingHTTPServer:
    """Serve the demo on 127.0.0.1 (port 0: any free one) in a background thread."""
    handler = type("BoundDemoHandler", (DemoHandler,), {"api": api.rstrip("/")})
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(DEMO_DIR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="base URL of the T-ALL Evidence API")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    server = start_demo_server(args.api, args.port)
    print(f"demo lab page on http://127.0.0.1:{server.server_address[1]}/ (API {args.api})")
    threading.Event().wait()


if __name__ == "__main__":
    main()
