"""The real source documents, read once; tests that need them skip with the reason when the texts are absent."""

from pathlib import Path

import pytest

from api.provenance.check import read_documents
from api.provenance.documents import Document
from api.settings import Settings


@pytest.fixture(scope="session")
def documents(settings: Settings) -> dict[str, Document]:
    seeds: Path = settings.seeds_text_dir
    if not seeds.is_dir():
        pytest.skip(f"source texts not found at {seeds} (set TALL_SEEDS_TEXT_DIR); document structure cannot be read")
    return read_documents(seeds, settings.sources_registry)


def by_prefix(documents: dict[str, Document], prefix: str) -> Document:
    [document] = [d for key, d in documents.items() if key.startswith(prefix)]
    return document
