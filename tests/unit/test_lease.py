"""Lease math against finance-notes.md worked example 2, and refused inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finance.lease import lease_payment
from finance.money import MoneyError

D = Decimal
EXAMPLE = dict(gross_cap_cost=D("38000.00"), cap_cost_reduction=D("2000.00"), residual_value=D("23200.00"),
               money_factor=D("0.00125"), term_months=36, tax_rate=D("0.07"))


def test_worked_example_2():
    lease = lease_payment(**EXAMPLE)
    assert lease.adjusted_cap_cost == D("36000.00")
    assert lease.depreciation == D("12800.00")
    assert lease.monthly_depreciation == D("355.56")
    assert lease.monthly_rent_charge == D("74.00")
    assert lease.base_payment == D("429.56")
    assert lease.monthly_tax == D("30.07")
    assert lease.monthly_payment == D("459.63")
    assert lease.apr_equivalent == D("3.00")


def test_untaxed_lease_payment_is_the_base():
    lease = lease_payment(**{**EXAMPLE, "tax_rate": D("0")})
    assert lease.monthly_tax == D("0.00") and lease.monthly_payment == D("429.56")


@pytest.mark.parametrize(
    "override",
    [{"gross_cap_cost": D("-1.00")}, {"cap_cost_reduction": D("-5.00")}, {"cap_cost_reduction": D("38000.00")},
     {"residual_value": D("36000.01")}, {"residual_value": D("-1")}, {"money_factor": D("-0.001")},
     {"money_factor": D("3.0")}, {"term_months": 0}, {"term_months": True}, {"tax_rate": D("7")},
     {"tax_rate": D("-0.01")}, {"gross_cap_cost": D("38000.001")}],
)
def test_invalid_lease_terms_are_refused(override):
    with pytest.raises(ValueError):  # MoneyError is a ValueError
        lease_payment(**{**EXAMPLE, **override})


@pytest.mark.parametrize("field", ["gross_cap_cost", "residual_value", "money_factor", "tax_rate"])
def test_floats_are_refused(field):
    with pytest.raises(MoneyError):
        lease_payment(**{**EXAMPLE, field: 0.5})
