"""Money conventions: Decimal only, half-up rounding, exact cents."""

from decimal import Decimal

import pytest

from finance.money import MoneyError, from_cents, round_money, to_cents


@pytest.mark.parametrize(("raw", "rounded"), [("0.005", "0.01"), ("0.015", "0.02"), ("2.675", "2.68"),
                                              ("-0.005", "-0.01"), ("10", "10.00"), ("166.0666", "166.07")])
def test_round_half_up(raw, rounded):
    assert round_money(Decimal(raw)) == Decimal(rounded)


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        round_money(0.1)
    with pytest.raises(MoneyError):
        to_cents(0.1)
    with pytest.raises(MoneyError):
        round_money(True)


def test_cents_round_trip_exactly():
    for value in ("0.01", "0.10", "166.07", "99999999.99", "-25.00"):
        assert from_cents(to_cents(Decimal(value))) == Decimal(value)
    assert to_cents(Decimal("0.10")) + to_cents(Decimal("0.20")) == 30


def test_fractions_of_a_cent_are_not_silently_rounded():
    with pytest.raises(MoneyError, match="fractions of a cent"):
        to_cents(Decimal("1.005"))


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", None])
def test_non_numbers_are_refused(bad):
    with pytest.raises(MoneyError):
        round_money(bad)
