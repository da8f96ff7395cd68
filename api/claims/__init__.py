"""Checking a numeric claim against the curated figures: reading a sentence, comparing numbers, the verdict."""
