"""The old name of tests/support.py, kept so that branches written against it still import; use tests.support."""

from tests.support import (  # noqa: F401
    LiveServer,
    built_file,
    free_port,
    run_cli,
    running,
    serving_in_thread,
    wait_until_up,
)
