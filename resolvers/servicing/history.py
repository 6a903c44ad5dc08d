"""Payment history: a contract's ledger filtered by date range and kind, in either order.

The caller has already reached the contract through a visibility-scoped queryset, so its ledger is
theirs to read. Pagination is by keyset on (effective_date, id), ascending or descending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tortoise.queryset import QuerySet

from graph.pagination import Ordering
from models import LedgerEntry
from models.enums import LedgerEntryKind
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.servicing.positions import RECENT_KEPT

NEWEST_FIRST = Ordering((("effective_date", True), ("id", True)))
OLDEST_FIRST = NEWEST_FIRST.reversed()
MAX_RECENT = RECENT_KEPT  # a ledger checkpoint names this many newest rows (positions.RECENT_KEPT)


@dataclass(frozen=True)
class HistoryFilter:
    from_date: date | None = None
    to_date: date | None = None
    kinds: tuple[LedgerEntryKind, ...] | None = None


def ordering(descending: bool = True) -> Ordering:
    """EFFECTIVE_DATE order; the entry id breaks ties the same way, so keys are unique."""
    return NEWEST_FIRST if descending else OLDEST_FIRST


def transactions_of(contract_id: int, history_filter: HistoryFilter | None = None) -> QuerySet[LedgerEntry]:
    """The ledger of one contract, filtered. An empty date range is a client mistake (INVALID)."""
    query = LedgerEntry.filter(contract_id=contract_id)
    if history_filter is None:
        return query
    start, end = history_filter.from_date, history_filter.to_date
    if start is not None and end is not None and start > end:
        raise ClientFacingError(ErrorCode.INVALID, "filter.from must be on or before filter.to.")
    if start is not None:
        query = query.filter(effective_date__gte=start)
    if end is not None:
        query = query.filter(effective_date__lte=end)
    if history_filter.kinds is not None:
        query = query.filter(kind__in=[LedgerEntryKind(k) for k in history_filter.kinds])
    return query


def recent(entries: Sequence[LedgerEntry], first: int) -> list[LedgerEntry]:
    """The `first` newest of already-loaded entries (at most MAX_RECENT)."""
    if not 0 <= first <= MAX_RECENT:
        raise ClientFacingError(ErrorCode.INVALID, f"recentTransactions: first must be between 0 and {MAX_RECENT}.")
    return sorted(entries, key=lambda row: (row.effective_date, row.id), reverse=True)[:first]
