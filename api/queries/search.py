"""Full-text search over studies, the read side: matching and ranking computed here, the same on every database.

The index (models.search_index) is written at load time by api.loading.search_index. Every
query word must match a word of the study's text as a prefix; matches are ranked by BM25
(k1 = 1.2, b = 0.75) over the whole text, a prefix counting every word it matches. The
database only reads postings; the arithmetic is Python's, on the same integers, so one
dataset version ranks identically on SQLite and PostgreSQL (docs/querying-order.md).
"""

import math

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.errors import InvalidInput
from models.problem import ProblemField
from models.search_index import SearchDocument, SearchPosting, search_words

MAX_QUERY_LENGTH = 200
K1 = 1.2
B = 0.75
# Above every code point: the words starting with a prefix are the range [prefix, prefix + this).
_LAST = "\U0010ffff"


def query_words(q: str) -> list[str]:
    """The distinct words of a search query, in order (none for pure punctuation); InvalidInput when too long."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidInput(
            "The search query is too long.",
            [ProblemField(location="query.q", message=f"at most {MAX_QUERY_LENGTH} characters")],
        )
    return list(dict.fromkeys(search_words(q)))


def _occurrences(session: Session, word: str) -> tuple[dict[str, int], dict[str, int]]:
    """For one query word: per matching study, how often words starting with it occur, and the text's length."""
    statement = (
        select(SearchDocument.study_id, SearchDocument.length, func.sum(SearchPosting.count))
        .join(SearchDocument, col(SearchDocument.number) == col(SearchPosting.number))
        .where(col(SearchPosting.term) >= word, col(SearchPosting.term) < word + _LAST)
        .group_by(col(SearchDocument.number), col(SearchDocument.study_id), col(SearchDocument.length))
    )
    counts: dict[str, int] = {}
    lengths: dict[str, int] = {}
    for study_id, length, count in session.exec(statement):
        counts[study_id] = int(count)  # integer sums: the same on every database
        lengths[study_id] = length
    return counts, lengths


def search_ranks(session: Session, q: str) -> dict[str, float]:
    """Matching study ids with a rank (lower is better: minus the BM25 score); every word must match."""
    words = query_words(q)
    if not words:
        return {}  # nothing to match: no study, rather than an error
    documents, total_length = session.exec(
        select(func.count(), func.coalesce(func.sum(SearchDocument.length), 0))
    ).one()
    average = total_length / documents if documents else 0.0
    scores: dict[str, float] | None = None
    for word in words:
        counts, lengths = _occurrences(session, word)
        matched = counts.keys() if scores is None else counts.keys() & scores.keys()
        idf = math.log(1 + (documents - len(counts) + 0.5) / (len(counts) + 0.5))
        previous = scores or {}
        scores = {}
        for study_id in sorted(matched):
            tf = counts[study_id]
            norm = K1 * (1 - B + B * lengths[study_id] / average) if average else K1
            scores[study_id] = previous.get(study_id, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        if not scores:
            return {}
    return {study_id: -score for study_id, score in (scores or {}).items()}
