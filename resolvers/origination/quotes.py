"""Deal terms: checking a deal structure and quoting it (loan TILA figures or lease Regulation M
figures, by finance/deal.py), as a dealer tool does while the deal is shaped and as submission
does before an application goes to decisioning.

Two levels of checks, each answering INVALID with the field at fault (paths relative to the deal):
- `shape_problems`: values wrong whatever the stage (negative or sub-cent amounts, rates out of
  range, lease-only terms on a loan). A draft must pass these to be saved.
- `pricing_problems`: what a quote and a submission need (term 12–84 months for a loan and 24–48 for
  a lease, an APR for a loan, money factor and residual for a lease, something left to finance, a
  residual below the adjusted cap cost, a first payment date within 60 days).

The contract date of a quote is the business date; the first payment is a month later unless the
deal names a date.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal

from finance.deal import DealStructure, LeaseQuote, LoanQuote, lease_cap_cost, lease_quote, loan_quote
from finance.loan import add_months
from finance.money import CENT, ZERO, MoneyError, as_decimal
from models import CreditApplication
from models.enums import ContractKind
from resolvers.errors import ErrorCode, Problem

MAX_AMOUNT = Decimal("10000000.00")  # a typo guard, far above any vehicle deal
LOAN_TERMS = (12, 84)
LEASE_TERMS = (24, 48)
STORED_TERMS = (1, 96)  # what the database accepts on a draft
MAX_APR = Decimal(100)  # percent; anything above is a fraction typed as a percent or a bug
MAX_MONEY_FACTOR = Decimal("0.01")  # 24 % APR equivalent
MAX_SALES_TAX_RATE = Decimal("0.25")  # a fraction: 0.0825 for 8.25 %
ANNUAL_MILEAGE = (1000, 100000)
MAX_FIRST_PAYMENT_DAYS = 60
APR_PLACES, MONEY_FACTOR_PLACES, TAX_RATE_PLACES = 4, 6, 4

AMOUNT_FIELDS = {  # attribute: input field
    "cash_price": "cashPrice", "cash_down": "cashDown", "trade_in_value": "tradeInValue",
    "trade_in_payoff": "tradeInPayoff", "fees": "fees", "taxes": "taxes", "security_deposit": "securityDeposit",
    "residual_value": "residualValue",
}
LEASE_ONLY = {"money_factor": "moneyFactor", "residual_value": "residualValue", "annual_mileage": "annualMileage",
              "sales_tax_rate": "salesTaxRate"}


@dataclass(frozen=True)
class DealTerms:
    """A deal structure as entered (loan or lease); optional terms are None when not given."""

    product: ContractKind
    cash_price: Decimal
    term_months: int
    cash_down: Decimal = ZERO
    trade_in_value: Decimal = ZERO
    trade_in_payoff: Decimal = ZERO
    fees: Decimal = ZERO
    taxes: Decimal = ZERO
    requested_apr: Decimal | None = None  # loans, percent
    money_factor: Decimal | None = None  # leases
    residual_value: Decimal | None = None  # leases
    security_deposit: Decimal = ZERO  # leases, refundable
    annual_mileage: int | None = None  # leases
    sales_tax_rate: Decimal | None = None  # leases, a fraction of each payment
    first_payment_date: date | None = None
    add_ons_price: Decimal = ZERO  # the coverage add-ons' prices (kept by resolvers/coverage/, not by edits)

    @classmethod
    def of(cls, row: CreditApplication) -> DealTerms:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def structure(self) -> DealStructure:
        return DealStructure(cash_price=self.cash_price, fees=self.fees, taxes=self.taxes, cash_down=self.cash_down,
                             trade_in_value=self.trade_in_value, trade_in_payoff=self.trade_in_payoff,
                             add_ons=self.add_ons_price)

    def stored(self) -> dict:
        """The application columns these terms fill (a lease's absent tax rate is 0)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "add_ons_price"}
        if self.product == ContractKind.LEASE and self.sales_tax_rate is None:
            values["sales_tax_rate"] = ZERO
        return values


@dataclass(frozen=True)
class QuoteOutcome:
    problems: tuple[Problem, ...] = ()
    loan: LoanQuote | None = None
    lease: LeaseQuote | None = None


def _invalid(message: str, field: str) -> Problem:
    return Problem(ErrorCode.INVALID, message, (field,))


# -- shape ----------------------------------------------------------------------------------------

def amount_problem(value: Decimal | None, field: str) -> Problem | None:
    """None, or INVALID unless a non-negative amount in whole cents (below a typo guard)."""
    if value is None:
        return None
    try:
        amount = as_decimal(value)
    except MoneyError:
        return _invalid("Enter an amount in dollars and cents.", field)
    # Bounded before quantizing: a huge exponent cannot be quantized at all.
    if amount < ZERO or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        return _invalid(f"Enter an amount from 0.00 to {MAX_AMOUNT:,}, in whole cents.", field)
    return None


def _rate_problem(value: Decimal | None, field: str, *, upper: Decimal, places: int, what: str,
                  positive: bool = False) -> Problem | None:
    if value is None:
        return None
    finite = isinstance(value, Decimal) and value.is_finite()
    too_precise = finite and value.as_tuple().exponent < -places
    if not finite or too_precise or not (ZERO < value if positive else ZERO <= value) or value >= upper:
        low = "above 0" if positive else "from 0"
        return _invalid(f"Enter {what} {low} and below {upper}, with at most {places} decimal places.", field)
    return None


def shape_problems(terms: DealTerms) -> list[Problem]:
    """What no draft may hold, in input order."""
    found = [amount_problem(getattr(terms, name), field) for name, field in AMOUNT_FIELDS.items()]
    low, high = STORED_TERMS
    if isinstance(terms.term_months, bool) or not low <= terms.term_months <= high:
        found.append(_invalid(f"Enter a term of {low} to {high} months.", "termMonths"))
    found.append(_rate_problem(terms.requested_apr, "requestedApr", upper=MAX_APR, places=APR_PLACES,
                               what="an APR in percent (6.9 for 6.9 %)"))
    found.append(_rate_problem(terms.money_factor, "moneyFactor", upper=MAX_MONEY_FACTOR, places=MONEY_FACTOR_PLACES,
                               what="a money factor (e.g. 0.00125)", positive=True))
    found.append(_rate_problem(terms.sales_tax_rate, "salesTaxRate", upper=MAX_SALES_TAX_RATE,
                               places=TAX_RATE_PLACES, what="a sales tax rate as a fraction (0.0825 for 8.25 %)"))
    if terms.annual_mileage is not None and not ANNUAL_MILEAGE[0] <= terms.annual_mileage <= ANNUAL_MILEAGE[1]:
        found.append(_invalid(f"Enter {ANNUAL_MILEAGE[0]:,} to {ANNUAL_MILEAGE[1]:,} miles a year.", "annualMileage"))
    found += _product_mismatches(terms)
    return [problem for problem in found if problem is not None]


def _product_mismatches(terms: DealTerms) -> list[Problem]:
    """Terms of the other product: refused rather than silently ignored."""
    if terms.product == ContractKind.LOAN:
        wrong = [field for name, field in LEASE_ONLY.items() if getattr(terms, name) is not None]
        if terms.security_deposit:
            wrong.append("securityDeposit")
        return [_invalid("Only a lease has this term; remove it for a loan.", field) for field in wrong]
    if terms.requested_apr is not None:
        return [_invalid("A lease is priced by its money factor, not an APR; remove it.", "requestedApr")]
    return []


# -- pricing --------------------------------------------------------------------------------------

def _first_payment(terms: DealTerms, today: date) -> date:
    return terms.first_payment_date or add_months(today, 1)


def pricing_problems(terms: DealTerms, today: date) -> list[Problem]:
    """What a quote or a submission needs beyond the shape (call with shape problems fixed)."""
    found = []
    if terms.cash_price <= ZERO:
        found.append(_invalid("Enter the vehicle's price.", "cashPrice"))
    low, high = LOAN_TERMS if terms.product == ContractKind.LOAN else LEASE_TERMS
    if not low <= terms.term_months <= high:
        found.append(_invalid(f"A {terms.product.value.lower()} runs {low} to {high} months.", "termMonths"))
    if terms.product == ContractKind.LOAN and terms.requested_apr is None:
        found.append(_invalid("Enter the APR asked for.", "requestedApr"))
    if terms.product == ContractKind.LEASE:
        if terms.money_factor is None:
            found.append(_invalid("Enter the lease's money factor.", "moneyFactor"))
        if not terms.residual_value:
            found.append(_invalid("Enter the residual value at the end of the lease.", "residualValue"))
    first = terms.first_payment_date
    if first is not None and not today < first <= today + timedelta(days=MAX_FIRST_PAYMENT_DAYS):
        found.append(_invalid(f"The first payment falls 1 to {MAX_FIRST_PAYMENT_DAYS} days from today.",
                              "firstPaymentDate"))
    return found or _consistency_problems(terms)


def _consistency_problems(terms: DealTerms) -> list[Problem]:
    """The amounts against each other: something to finance, a residual below the adjusted cap cost."""
    deal = terms.structure()
    if terms.product == ContractKind.LOAN:
        net = deal.cash_price + deal.fees + deal.taxes + deal.add_ons - deal.cash_down - deal.trade_in_value + deal.trade_in_payoff
        if net <= ZERO:
            return [_invalid("The down payment and trade-in cover the price: there is nothing to finance.",
                             "cashDown")]
        return []
    adjusted = lease_cap_cost(deal).adjusted_cap_cost
    if adjusted <= ZERO:
        return [_invalid("The cap cost reduction covers the whole capitalized cost.", "cashDown")]
    if terms.residual_value >= adjusted:
        return [_invalid(f"The residual value must be below the adjusted cap cost ({adjusted}).", "residualValue")]
    return []


def quote(terms: DealTerms, today: date) -> QuoteOutcome:
    """The loan or lease figures of `terms`, or the problems that prevent them."""
    problems = shape_problems(terms) or pricing_problems(terms, today)
    if problems:
        return QuoteOutcome(problems=tuple(problems))
    try:
        if terms.product == ContractKind.LOAN:
            return QuoteOutcome(loan=loan_quote(terms.structure(), apr_percent=terms.requested_apr,
                                                term_months=terms.term_months, contract_date=today,
                                                first_payment_date=_first_payment(terms, today)))
        return QuoteOutcome(lease=lease_quote(terms.structure(), residual_value=terms.residual_value,
                                              money_factor=terms.money_factor, term_months=terms.term_months,
                                              tax_rate=terms.sales_tax_rate or ZERO,
                                              security_deposit=terms.security_deposit))
    except (ValueError, ArithmeticError) as exc:  # MoneyError is a ValueError
        # The checks above leave only combinations the math refuses (e.g. a payment too small to amortize).
        return QuoteOutcome(problems=(Problem(ErrorCode.INVALID, f"These terms cannot be priced: {exc}."),))

