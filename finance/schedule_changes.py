"""Approved payment-plan changes applied to an installment schedule (pure; finance/ only).

A contract's schedule is its original installments with every approved change applied, oldest
change first. Changes are kept as rows and never edited, so the schedule on any day can be rebuilt.

- DUE_DATE_CHANGE (`new_due_day`, 1–28) from installment `from_installment`: that installment and
  every one due after it move to the new day of month. The first changed one falls in the same
  month as its old due date when the new day is later than its old day, otherwise in the next
  month; the rest follow monthly. Amounts do not change. The first changed cycle's interest is
  recomputed by itself: a loan accrues daily simple interest to the day each payment is applied,
  so a longer (or shorter) first cycle simply accrues more (or less) interest, taken from the
  payment before principal.
- DEFERRAL of `deferred_count` (1–2) installments from `from_installment`: that installment and
  the next ones (in due-date order) move to after the last installment, one a month; every other
  installment keeps its date.

"From installment k" means installment number k and the installments after it in the current
due-date order (after a deferral, numbers are no longer in date order).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from finance.due import Installment
from finance.loan import add_months

DUE_DATE_CHANGE = "DUE_DATE_CHANGE"
DEFERRAL = "DEFERRAL"
MIN_DUE_DAY, MAX_DUE_DAY = 1, 28
MAX_DEFERRED = 2


@dataclass(frozen=True)
class Change:
    kind: str  # DUE_DATE_CHANGE or DEFERRAL
    from_installment: int
    new_due_day: int | None = None
    deferred_count: int | None = None


def first_changed_due_date(old_due: date, new_day: int) -> date:
    """Where the first changed installment falls: same month if the new day is later, else next month."""
    _check_day(new_day)
    if new_day > old_due.day:
        return old_due.replace(day=new_day)
    return add_months(old_due.replace(day=1), 1).replace(day=new_day)


def _check_day(day: object) -> None:
    if isinstance(day, bool) or not isinstance(day, int) or not MIN_DUE_DAY <= day <= MAX_DUE_DAY:
        raise ValueError(f"the new due day must be an int from {MIN_DUE_DAY} to {MAX_DUE_DAY}, got {day!r}")


def _ordered(installments: Iterable[Installment]) -> list[Installment]:
    return sorted(installments, key=lambda item: (item.due_date, item.number))


def _index_of(items: Sequence[Installment], number: int) -> int:
    for index, item in enumerate(items):
        if item.number == number:
            return index
    raise ValueError(f"no installment number {number}")


def apply_change(installments: Sequence[Installment], change: Change) -> list[Installment]:
    """The installments (in due-date order) after one change."""
    items = _ordered(installments)
    start = _index_of(items, change.from_installment)
    kind = getattr(change.kind, "value", change.kind)
    if kind == DUE_DATE_CHANGE:
        _check_day(change.new_due_day)
        first = first_changed_due_date(items[start].due_date, change.new_due_day)  # type: ignore[arg-type]
        moved = [replace(item, due_date=add_months(first, offset)) for offset, item in enumerate(items[start:])]
        return items[:start] + moved
    if kind == DEFERRAL:
        count = change.deferred_count
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_DEFERRED:
            raise ValueError(f"deferred_count must be 1 to {MAX_DEFERRED}, got {count!r}")
        if start + count > len(items):
            raise ValueError("cannot defer past the last installment")
        deferred, kept = items[start:start + count], items[:start] + items[start + count:]
        last = kept[-1].due_date if kept else items[start].due_date
        moved = [replace(item, due_date=add_months(last, offset)) for offset, item in enumerate(deferred, 1)]
        return kept + moved
    raise ValueError(f"unknown change kind {change.kind!r}")


def apply_changes(installments: Sequence[Installment], changes: Iterable[Change]) -> list[Installment]:
    """The installments after every change, applied in the order given (oldest first)."""
    items = _ordered(installments)
    for change in changes:
        items = apply_change(items, change)
    return items
