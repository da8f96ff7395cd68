"""Keeping Python's cyclic garbage collector out of the way of loading and serving.

Reference counting frees almost everything here; the cyclic collector only matters for
cycles, and its full collections walk every tracked object. During start-up that means
repeated walks over the freshly parsed fixtures; while serving, a walk over everything
imported and built at start-up (about 120,000 objects, some 50 ms on a small machine)
every few dozen uncached requests, which showed up as the p99.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the collector while fixtures are parsed and loaded.

    Parsing creates hundreds of thousands of long-lived objects that form no cycles; they
    trigger full collections that find nothing, a quarter of start-up time on large data.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_survivors() -> None:
    """Once started, collect what start-up left behind and exempt the rest from later walks.

    What is alive now (modules, schemas, the app, the database engine) lives as long as
    the process; full collections then walk only what requests create (about 2 ms).
    """
    gc.collect()
    gc.freeze()
