"""The test suite. Importing it (pytest does, before any test module) keeps compiled bytecode.

Where PYTHONDONTWRITEBYTECODE is set, every pytest worker and every child process the tests start
(hundreds of `tall-evidence` commands and servers) would compile the project's modules again, and
pytest would rewrite every test module's asserts again in each worker: about 8 s of CPU per
worker. The suite writes __pycache__ (ignored by git) whatever the setting; tests/conftest.py
compiles the project once before the workers start.
"""

import os
import sys

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # inherited by the workers and every child process
sys.dont_write_bytecode = False
