"""finance/coverage.py: end dates, remaining months and miles from an odometer history, status
thresholds, the expiry notice window, and factory warranty terms by make."""

from __future__ import annotations

from datetime import date

import pytest

from finance.coverage import (
    CoverageTerms,
    FactoryPart,
    Reading,
    Standing,
    ends_on,
    factory_coverages,
    latest_reading,
    notice_due,
    standing,
    whole_months_between,
)
from finance.factory_warranties import terms_for

SERVICE_CONTRACT = CoverageTerms(start_date=date(2024, 3, 10), term_months=36, mileage_limit=12 + 36_000,
                                 start_odometer=12)
HISTORY = [Reading(date(2024, 3, 10), 12), Reading(date(2025, 3, 1), 11_500), Reading(date(2026, 2, 20), 24_310),
           Reading(date(2026, 12, 1), 30_000)]  # the last one is after the day asked


def test_end_date_and_remaining_miles_from_the_latest_reading_on_or_before_the_day():
    result = standing(SERVICE_CONTRACT, date(2026, 3, 1), HISTORY)
    assert result.ends_on == date(2027, 3, 10)
    assert result.ends_at_miles == 36_012
    assert result.odometer == Reading(date(2026, 2, 20), 24_310)
    assert result.remaining_miles == 36_012 - 24_310 == 11_702
    assert result.remaining_months == 12 and result.remaining_days == 374
    assert result.status == Standing.ACTIVE


def test_without_readings_the_start_odometer_counts():
    result = standing(SERVICE_CONTRACT, date(2024, 4, 1))
    assert result.odometer is None and result.remaining_miles == 36_000


def test_mileage_ends_it_before_the_date():
    history = [*HISTORY, Reading(date(2026, 6, 1), 36_012)]
    result = standing(SERVICE_CONTRACT, date(2026, 6, 2), history)
    assert result.status == Standing.EXPIRED and result.remaining_miles == 0 and result.remaining_months == 0


@pytest.mark.parametrize(("today", "miles", "expected"), [
    (date(2027, 1, 8), 20_000, Standing.ACTIVE),  # 61 days left
    (date(2027, 1, 9), 20_000, Standing.EXPIRING_SOON),  # 60 days left
    (date(2026, 6, 1), 35_012, Standing.EXPIRING_SOON),  # exactly 1,000 miles left
    (date(2026, 6, 1), 35_011, Standing.ACTIVE),
    (date(2027, 3, 9), 20_000, Standing.EXPIRING_SOON),  # its last day
    (date(2027, 3, 10), 20_000, Standing.EXPIRED),  # the end date is the first day not covered
])
def test_status_thresholds(today, miles, expected):
    assert standing(SERVICE_CONTRACT, today, [Reading(today, miles)]).status == expected


def test_cancelled_wins_and_no_notice_for_it():
    result = standing(SERVICE_CONTRACT, date(2027, 3, 1), cancelled=True)
    assert result.status == Standing.CANCELLED and not notice_due(result, date(2027, 3, 1))


@pytest.mark.parametrize(("today", "miles", "due"), [
    (date(2027, 2, 7), 20_000, False),  # 31 days left
    (date(2027, 2, 8), 20_000, True),  # 30 days left
    (date(2026, 6, 1), 35_012, True),  # 1,000 miles left
    (date(2027, 3, 10), 20_000, False),  # expired: too late for "about to end"
])
def test_notice_window(today, miles, due):
    assert notice_due(standing(SERVICE_CONTRACT, today, [Reading(today, miles)]), today) is due


def test_month_arithmetic():
    assert ends_on(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert whole_months_between(date(2026, 1, 31), date(2026, 2, 28)) == 1  # add_months clamps
    assert whole_months_between(date(2026, 1, 15), date(2026, 3, 15)) == 2
    assert whole_months_between(date(2026, 3, 15), date(2026, 1, 15)) == 0
    assert latest_reading([Reading(date(2026, 1, 1), 5), Reading(date(2026, 1, 1), 9)], date(2026, 1, 1)).miles == 9


def test_factory_warranty_by_make_for_a_new_vehicle():
    parts = factory_coverages("toyota ", is_new=True, model_year=2024, contract_date=date(2024, 3, 10))
    assert [(p.part, p.terms.term_months, p.terms.mileage_limit, p.in_service_date, p.estimated) for p in parts] == [
        (FactoryPart.BASIC, 36, 36_000, date(2024, 3, 10), False),
        (FactoryPart.POWERTRAIN, 60, 60_000, date(2024, 3, 10), False),
    ]
    basic = standing(parts[0].terms, date(2026, 3, 1), [Reading(date(2026, 2, 1), 30_500)])
    assert basic.ends_on == date(2027, 3, 10) and basic.remaining_miles == 5_500


def test_factory_warranty_terms_differ_by_make_and_used_vehicles_estimate_the_in_service_date():
    assert (terms_for("Hyundai").powertrain.months, terms_for("Hyundai").powertrain.miles) == (120, 100_000)
    assert terms_for("Tesla").basic.miles == 50_000
    assert terms_for("Nonesuch") is None
    assert factory_coverages("Nonesuch", is_new=True, model_year=2024, contract_date=date(2024, 3, 10)) == []
    used = factory_coverages("Honda", is_new=False, model_year=2023, contract_date=date(2025, 6, 1))
    assert used[0].in_service_date == date(2023, 1, 1) and used[0].estimated
    assert standing(used[0].terms, date(2026, 1, 1)).status == Standing.EXPIRED  # 36 months from 2023-01-01
