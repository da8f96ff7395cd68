"""Nothing here is a test: these scripts measure speed and print figures (see run.py)."""

collect_ignore_glob = ["*.py"]
