"""The full-text index of studies, stored with the build: its words, postings and document lengths.

Written at load time (api.loading.search_index) and read by api.queries.search, which ranks
matches itself (BM25) from these counts: the same index and the same ranking on every
database, instead of SQLite FTS5's and PostgreSQL's own, which rank differently.
"""

import re
import unicodedata

from sqlmodel import Field, SQLModel

_WORD = re.compile(r"\w+")


def search_words(text: str) -> list[str]:
    """The words of a text as the index holds them: case-folded, accents removed, split at non-word characters.

    Documents and queries go through this one function, so a query word means what it does in the index.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


class SearchDocument(SQLModel, table=True):
    """One study's indexed text: its number in the postings and its length in words."""

    __tablename__ = "search_document"

    number: int = Field(primary_key=True)
    study_id: str = Field(foreign_key="study.id", unique=True)
    length: int


class SearchPosting(SQLModel, table=True):
    """How often a word occurs in one study's text; (word, number) is the key, so a prefix is one range."""

    __tablename__ = "search_posting"
    __table_args__ = {"sqlite_with_rowid": False}

    term: str = Field(primary_key=True)
    number: int = Field(primary_key=True, foreign_key="search_document.number")
    count: int
