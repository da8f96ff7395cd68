"""Offline commands behind `tall-evidence`: export, coverage report, fixture JSON Schemas. Never served."""
