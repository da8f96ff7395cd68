"""Speed measurements: run by hand (see run.py), never collected by pytest."""
