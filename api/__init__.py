"""The T-ALL evidence service: HTTP API, start-up loader and command line.

Its packages are layers that import only downwards, and SQL runs only in queries/ and loading/:
the rules are stated in docs/architecture.md and enforced by the import-linter contracts in
pyproject.toml (`lint-imports`, run by .ci/run).
"""
