"""Full-text search over studies, the read side: SQLite FTS5 by default, PostgreSQL text search when used.

The index is written at load time by api.loading.search_index.
"""

import re

from sqlalchemy import text
from sqlmodel import Session

from api.errors import InvalidInput
from models.problem import ProblemField

MAX_QUERY_LENGTH = 200


def query_words(q: str) -> list[str]:
    """The words of a search query (none for pure punctuation); raises InvalidInput when it is too long."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            "The search query is too long.",
            [ProblemField(location="query.q", message=f"at most {MAX_QUERY_LENGTH} characters")],
        )
    return re.findall(r"\w+", q)


def search_ranks(session: Session, q: str) -> dict[str, float]:
    """Matching study ids with a rank (lower is better); every word must match, as a prefix."""
    words = query_words(q)
    if not words:
        return {}  # nothing to match: no study, rather than an error
    if session.get_bind().dialect.name == "sqlite":
        # Each word quoted, so user input is never read as FTS5 query syntax.
        match = " ".join('"' + w.replace('"', "") + '"*' for w in words)
        result = session.execute(
            text("SELECT study_id, bm25(study_search) FROM study_search WHERE study_search MATCH :q"), {"q": match}
        )
    else:
        tsquery = " & ".join(re.sub(r"[^\w]", "", w) + ":*" for w in words)
        result = session.execute(
            text(
                "SELECT study_id, -ts_rank(tsv, to_tsquery('simple', :q)) FROM study_search "
                "WHERE tsv @@ to_tsquery('simple', :q)"
            ),
            {"q": tsquery},
        )
    return {study_id: float(rank) for study_id, rank in result}
