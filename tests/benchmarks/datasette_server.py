"""`datasette serve` on the same HTTP stack as the service: python -m tests.benchmarks.datasette_server ARGS...

Datasette's own command starts uvicorn with its defaults, which pick httptools and uvloop
when installed (they are) but log every request; the service runs with its access log off.
This runs Datasette's command unchanged, with uvicorn told explicitly what the service
is told: httptools, uvloop, no access log, one worker.
"""

import functools
import sys

import uvicorn

HTTP_STACK = {"http": "httptools", "loop": "uvloop", "access_log": False}


def main(argv: list[str]) -> None:
    from datasette.cli import cli

    uvicorn.run = functools.partial(uvicorn.run, **HTTP_STACK)  # type: ignore[assignment]
    cli.main(args=["serve", *argv], prog_name="datasette")


if __name__ == "__main__":
    main(sys.argv[1:])
