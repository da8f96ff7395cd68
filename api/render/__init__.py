"""Turning results into responses: formats (JSON/CSV/NDJSON), HTML pages, SVG charts, problems, OpenAPI."""
