"""Lease figures for a lessee: Regulation M disclosure, mileage projection, end-of-term options and
an early termination estimate, from the contract terms, its odometer readings and its ledger.

Conventions (the contract terms do not say otherwise):
- The first monthly payment is due a month after signing (contracts.first_payment_date >
  contract_date), so it is not part of the amount due at signing; no other fees at signing are
  recorded, so amount due at signing = the capitalized cost reduction.
- Mileage counts from the odometer at delivery: the ORIGINATION reading, else the vehicle's
  odometer at sale on the contract date.
- Early termination on the business date: remaining payments = installments due on or after it;
  unpaid amounts = past due + unpaid fees; the contract has no early termination fee; the vehicle
  is assumed to bring its scheduled book value (adjusted capitalized cost less the scheduled
  depreciation of the installments already due, never below the residual) unless the caller gives
  another realized value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finance.lease import (
    Assumption,
    EarlyTermination,
    EndOfTerm,
    LeaseDisclosure,
    MileageProjection,
    early_termination_estimate,
    end_of_term,
    lease_disclosure,
    mileage_projection,
)
from finance.money import CENT, ZERO, MoneyError, as_decimal
from models import Contract, OdometerReading, Vehicle
from models.enums import OdometerSource
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.servicing.odometer import start_reading
from resolvers.servicing.positions import ContractState, installments_of


def disclosure(contract: Contract) -> LeaseDisclosure:
    return lease_disclosure(
        contract.gross_cap_cost, contract.cap_cost_reduction or ZERO, contract.residual_value, contract.money_factor,
        contract.term_months, contract.sales_tax_rate or ZERO, disposition_fee=contract.disposition_fee or ZERO,
        fees_at_signing=ZERO, first_payment_at_signing=False,
    )


def allowed_miles(contract: Contract) -> int:
    return int((Decimal(contract.annual_mileage_allowance) * contract.term_months / 12).to_integral_value())


def projection(contract: Contract, vehicle: Vehicle, readings: Sequence[OdometerReading], today: date
               ) -> MileageProjection:
    start_on, start_miles = start_reading(contract, vehicle, list(readings))
    later = [(r.read_on, r.miles) for r in readings if r.source != OdometerSource.ORIGINATION]
    return mileage_projection(
        start_date=start_on, maturity_date=contract.maturity_date, start_odometer=start_miles, readings=later,
        annual_allowance=contract.annual_mileage_allowance, term_months=contract.term_months,
        excess_rate=contract.excess_mileage_rate or ZERO, as_of=max(today, start_on),
    )


def end_of_term_options(contract: Contract) -> EndOfTerm:
    return end_of_term(contract.residual_value, contract.purchase_option_fee or ZERO,
                       contract.disposition_fee or ZERO)


@dataclass(frozen=True)
class EarlyTerminationQuote:
    as_of: date
    remaining_payments: int
    figures: EarlyTermination
    assumptions: tuple[Assumption, ...]


def _realized(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = as_decimal(value)
    except MoneyError:
        amount = Decimal(-1)
    if amount < ZERO or amount != amount.quantize(CENT):
        raise ClientFacingError(ErrorCode.INVALID, "realizedValue must be a non-negative amount in whole cents.")
    return amount


def early_termination(contract: Contract, state: ContractState, realized_value: Decimal | None = None
                      ) -> EarlyTerminationQuote | None:
    """The estimate on the state's business date; None once no payment remains (the lease has ended)."""
    realized_given = _realized(realized_value)
    today = state.as_of
    installments = installments_of(contract)
    remaining = sum(1 for item in installments if item.due_date >= today)
    if remaining == 0:
        return None
    figures = disclosure(contract)
    book_value = max(contract.residual_value,
                     figures.adjusted_cap_cost - figures.monthly_depreciation * (len(installments) - remaining))
    realized = book_value if realized_given is None else realized_given
    estimate = early_termination_estimate(
        base_monthly_payment=figures.base_monthly_payment, residual_value=contract.residual_value,
        money_factor=contract.money_factor, remaining_payments=remaining, realized_value=realized,
        disposition_fee=contract.disposition_fee or ZERO, early_termination_fee=ZERO,
        unpaid_amounts=state.due.past_due_amount + state.unpaid_fees,
    )
    ours = (
        Assumption("termination_date", today.isoformat(), "the lease is assumed to end today (business date)"),
        Assumption("realized_value_source", "given" if realized_given is not None else "scheduled book value",
                   "the value you entered" if realized_given is not None else
                   "adjusted cap cost − scheduled depreciation of the installments already due, at least the "
                   "residual value; give realizedValue for an appraisal or offer instead"),
        Assumption("payments_ahead", "none", "payments made ahead of their due date are not deducted"),
    )
    return EarlyTerminationQuote(as_of=today, remaining_payments=remaining, figures=estimate,
                                 assumptions=estimate.assumptions + ours)
