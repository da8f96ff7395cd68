"""Totals of filtered lists, remembered: the data cannot change while the process runs.

An exact total costs a pass over every match (about 6 ms for 6,000 matches), while the page
itself stops after its rows. Remembering the total per table and filter lets the next pages
of the same query, and its other formats and sort orders, skip that pass.
"""

from threading import Lock
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from api.database import MEMO_KEY
from api.lru import BoundedLRU
from api.queries.filters import Conditions

# An entry is its key's text plus this much bookkeeping; the memo holds on average at most
# ENTRY_BUDGET bytes an entry, so long filters (a query string may be 2 KiB) cannot make
# 4096 entries cost more than 4 MiB.
ENTRY_OVERHEAD = 100
ENTRY_BUDGET = 1024


class CountMemo:
    """Filtered totals by (table, filters as asked); bounded, least recently used out first."""

    def __init__(self, max_entries: int) -> None:
        self._totals: BoundedLRU[tuple[str, str], int] = BoundedLRU(max_entries, max_entries * ENTRY_BUDGET)
        # Route functions run in a thread pool; BoundedLRU is not thread-safe by itself.
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._totals)

    def clear(self) -> None:
        """Forget every total (the data they counted were replaced)."""
        with self._lock:
            self._totals = BoundedLRU(self._totals.max_entries, self._totals.max_bytes)

    def total(self, session: Session, table: Any, conditions: Conditions) -> int:
        if conditions.asked is None:
            return count(session, table, conditions)
        key = (table.__tablename__, conditions.asked)
        with self._lock:
            remembered = self._totals.get(key)
        if remembered is not None:
            return remembered
        counted = count(session, table, conditions)
        with self._lock:
            self._totals.put(key, counted, ENTRY_OVERHEAD + len(key[0]) + len(key[1]))
        return counted


def count(session: Session, table: Any, conditions: Conditions) -> int:
    """How many rows of table meet the conditions, counted now."""
    return session.exec(select(func.count()).select_from(table).where(*conditions.all)).one()


def total(session: Session, table: Any, conditions: Conditions) -> int:
    """The total, from the session's database memo when it has one."""
    memo: CountMemo | None = session.info.get(MEMO_KEY)
    return count(session, table, conditions) if memo is None else memo.total(session, table, conditions)
