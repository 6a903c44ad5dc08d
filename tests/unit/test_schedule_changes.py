from datetime import date
from decimal import Decimal

import pytest

from finance.due import Installment
from finance.schedule_changes import DEFERRAL, DUE_DATE_CHANGE, Change, apply_changes, first_changed_due_date


def schedule(n=6, first=date(2026, 1, 15)):
    from finance.loan import add_months
    return [Installment(k, add_months(first, k - 1), Decimal("100.00") + k) for k in range(1, n + 1)]


def dates(items):
    return [(item.number, item.due_date) for item in items]


def test_later_day_stays_in_the_same_month():
    out = apply_changes(schedule(), [Change(DUE_DATE_CHANGE, 3, new_due_day=20)])
    assert dates(out)[:2] == [(1, date(2026, 1, 15)), (2, date(2026, 2, 15))]
    assert dates(out)[2:] == [(3, date(2026, 3, 20)), (4, date(2026, 4, 20)), (5, date(2026, 5, 20)),
                              (6, date(2026, 6, 20))]
    assert [i.amount for i in out] == [i.amount for i in schedule()]


@pytest.mark.parametrize("day", [1, 15])
def test_earlier_or_same_day_moves_to_the_next_month(day):
    out = apply_changes(schedule(), [Change(DUE_DATE_CHANGE, 2, new_due_day=day)])
    assert out[1].due_date == date(2026, 3, day)
    assert out[-1].due_date == date(2026, 7, day)


def test_first_changed_due_date_across_year_end():
    assert first_changed_due_date(date(2026, 12, 28), 5) == date(2027, 1, 5)


def test_deferral_moves_installments_to_the_end():
    out = apply_changes(schedule(), [Change(DEFERRAL, 2, deferred_count=2)])
    assert dates(out) == [(1, date(2026, 1, 15)), (4, date(2026, 4, 15)), (5, date(2026, 5, 15)),
                          (6, date(2026, 6, 15)), (2, date(2026, 7, 15)), (3, date(2026, 8, 15))]


def test_changes_compose_in_order():
    out = apply_changes(schedule(), [Change(DEFERRAL, 1, deferred_count=1),
                                     Change(DUE_DATE_CHANGE, 2, new_due_day=25)])
    assert dates(out) == [(2, date(2026, 2, 25)), (3, date(2026, 3, 25)), (4, date(2026, 4, 25)),
                          (5, date(2026, 5, 25)), (6, date(2026, 6, 25)), (1, date(2026, 7, 25))]


@pytest.mark.parametrize("change", [
    Change(DUE_DATE_CHANGE, 1, new_due_day=0), Change(DUE_DATE_CHANGE, 1, new_due_day=29),
    Change(DEFERRAL, 1, deferred_count=3), Change(DEFERRAL, 6, deferred_count=2),
    Change(DEFERRAL, 99, deferred_count=1), Change("OTHER", 1),
])
def test_invalid_changes_raise(change):
    with pytest.raises(ValueError):
        apply_changes(schedule(), [change])
