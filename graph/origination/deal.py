"""The deal structure in the schema: the input a dealer shapes (for a quote and for an application),
the stored deal of an application, and the quote. Thin: the checks are in
resolvers/origination/quotes.py, the arithmetic in finance/deal.py.

`dealQuote` answers a payload with typed `errors` (INVALID with the input field) rather than a
top-level error like `buyVsLease`: a dealer tool calls it on every change of the form and must
point at the field at fault, which a top-level error cannot do.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from auth.permissions import DEALERS
from finance.deal import LeaseQuote, LoanQuote
from finance.money import ZERO
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.scalars import Money, money, optional_money
from models import CreditApplication
from resolvers.errors import Problem
from resolvers.origination import quotes as rules
from resolvers.origination.quotes import DealTerms

AMOUNT = "Decimal string in dollars, e.g. \"1500.00\""


@strawberry.input(description="A deal as the dealer shapes it: a loan (price, down payment, trade-in, fees, taxes, "
                  "term, APR) or a lease (the same plus money factor, residual, mileage, tax rate, deposit). Amounts "
                  f"are {AMOUNT}; leave out what does not apply.")
class DealStructureInput:
    product: enums.ContractKind = strawberry.field(  # type: ignore[valid-type]
        description="LOAN (retail installment contract) or LEASE (closed-end lease).")
    cash_price: Decimal = strawberry.field(description="Agreed selling price of the vehicle.")
    term_months: int = strawberry.field(description="Number of monthly payments: 12–84 for a loan, 24–48 for a lease.")
    cash_down: Decimal = strawberry.field(default=ZERO, description="Cash down payment (a lease: cap cost reduction).")
    trade_in_value: Decimal = strawberry.field(default=ZERO, description="Value allowed for the trade-in vehicle.")
    trade_in_payoff: Decimal = strawberry.field(default=ZERO, description="Still owed on the trade-in (paid off and "
                                                "financed or capitalized with the deal).")
    fees: Decimal = strawberry.field(default=ZERO, description="Documentation, registration and title fees, financed "
                                     "(loan) or capitalized (lease).")
    taxes: Decimal = strawberry.field(default=ZERO, description="Upfront sales tax, financed (loan) or capitalized "
                                      "(lease).")
    requested_apr: Decimal | None = strawberry.field(default=None, description="Loan: the APR asked for, in percent "
                                                     "(6.9 for 6.9 %), at most 4 decimal places.")
    money_factor: Decimal | None = strawberry.field(default=None, description="Lease: money factor (0.00125 ≈ 3 % "
                                                    "APR), at most 6 decimal places.")
    residual_value: Decimal | None = strawberry.field(default=None, description="Lease: residual value at the end.")
    security_deposit: Decimal = strawberry.field(default=ZERO, description="Lease: refundable security deposit.")
    annual_mileage: int | None = strawberry.field(default=None, description="Lease: miles a year allowed (needed to "
                                                  "submit, not to quote).")
    sales_tax_rate: Decimal | None = strawberry.field(default=None, description="Lease: sales tax on each payment, "
                                                      "as a fraction (0.0825 for 8.25 %); default 0.")
    first_payment_date: date | None = strawberry.field(default=None, description="First payment date, 1–60 days "
                                                       "from today; default one month from today.")

    def terms(self) -> DealTerms:
        return DealTerms(
            product=self.product, cash_price=self.cash_price, term_months=self.term_months, cash_down=self.cash_down,
            trade_in_value=self.trade_in_value, trade_in_payoff=self.trade_in_payoff, fees=self.fees,
            taxes=self.taxes, requested_apr=self.requested_apr, money_factor=self.money_factor,
            residual_value=self.residual_value, security_deposit=self.security_deposit,
            annual_mileage=self.annual_mileage, sales_tax_rate=self.sales_tax_rate,
            first_payment_date=self.first_payment_date,
        )


@strawberry.type(name="DealStructure", description="An application's deal as the dealer entered it.")
class DealStructureType:
    product: enums.ContractKind = strawberry.field(description="LOAN or LEASE.")  # type: ignore[valid-type]
    cash_price: Money = strawberry.field(description="Agreed selling price.")
    cash_down: Money = strawberry.field(description="Cash down payment.")
    trade_in_value: Money = strawberry.field(description="Value allowed for the trade-in.")
    trade_in_payoff: Money = strawberry.field(description="Still owed on the trade-in.")
    fees: Money = strawberry.field(description="Fees financed or capitalized.")
    taxes: Money = strawberry.field(description="Upfront sales tax financed or capitalized.")
    term_months: int = strawberry.field(description="Number of monthly payments.")
    requested_apr: Decimal | None = strawberry.field(description="Loan: the APR asked for, percent.")
    money_factor: Decimal | None = strawberry.field(description="Lease: money factor.")
    residual_value: Money | None = strawberry.field(description="Lease: residual value.")
    security_deposit: Money = strawberry.field(description="Lease: refundable security deposit.")
    annual_mileage: int | None = strawberry.field(description="Lease: miles a year allowed.")
    sales_tax_rate: Decimal | None = strawberry.field(description="Lease: sales tax on each payment, a fraction.")
    first_payment_date: date | None = strawberry.field(description="First payment date, when the dealer set one.")

    @classmethod
    def from_model(cls, row: CreditApplication) -> DealStructureType:
        return cls(
            product=row.product, cash_price=money(row.cash_price), cash_down=money(row.cash_down),
            trade_in_value=money(row.trade_in_value), trade_in_payoff=money(row.trade_in_payoff),
            fees=money(row.fees), taxes=money(row.taxes), term_months=row.term_months,
            requested_apr=row.requested_apr, money_factor=row.money_factor,
            residual_value=optional_money(row.residual_value), security_deposit=money(row.security_deposit),
            annual_mileage=row.annual_mileage, sales_tax_rate=row.sales_tax_rate,
            first_payment_date=row.first_payment_date,
        )


@strawberry.type(name="LoanQuote", description="Estimated Truth in Lending figures of a loan (Regulation Z "
                 "§1026.18), before any credit decision.")
class LoanQuoteType:
    amount_financed: Money = strawberry.field(description="Price + fees + taxes − cash down − trade-in value + "
                                              "trade-in payoff.")
    monthly_payment: Money = strawberry.field(description="The level monthly payment.")
    number_of_payments: int = strawberry.field(description="The term in months.")
    final_payment: Money = strawberry.field(description="The last payment (it absorbs the rounding of the others).")
    first_payment_date: date = strawberry.field(description="When the first payment falls.")
    total_of_payments: Money = strawberry.field(description="Sum of all the payments.")
    finance_charge: Money = strawberry.field(description="Total of payments − amount financed.")
    note_rate: Decimal = strawberry.field(description="The APR asked for, percent (the rate of the schedule).")
    apr: Decimal = strawberry.field(description="The annual percentage rate by Regulation Z Appendix J from the "
                                    "payments and dates, percent, two places (a long first period lowers it).")

    @classmethod
    def of(cls, q: LoanQuote) -> LoanQuoteType:
        return cls(amount_financed=money(q.amount_financed), monthly_payment=money(q.monthly_payment),
                   number_of_payments=q.term_months, final_payment=money(q.final_payment),
                   first_payment_date=q.first_payment_date, total_of_payments=money(q.total_of_payments),
                   finance_charge=money(q.finance_charge), note_rate=q.note_rate, apr=q.apr)


@strawberry.type(name="LeaseQuote", description="Estimated lease figures (Regulation M §1013.4), before any credit "
                 "decision.")
class LeaseQuoteType:
    gross_cap_cost: Money = strawberry.field(description="Price + fees + taxes + trade-in payoff.")
    cap_cost_reduction: Money = strawberry.field(description="Cash down + trade-in value.")
    adjusted_cap_cost: Money = strawberry.field(description="Gross cap cost − cap cost reduction.")
    residual_value: Money = strawberry.field(description="Value at the end of the lease.")
    depreciation: Money = strawberry.field(description="Adjusted cap cost − residual value.")
    rent_charge: Money = strawberry.field(description="Total rent charge over the term (base payments − "
                                          "depreciation).")
    number_of_payments: int = strawberry.field(description="The term in months.")
    monthly_depreciation: Money = strawberry.field(description="Depreciation / term.")
    monthly_rent_charge: Money = strawberry.field(description="(Adjusted cap cost + residual) × money factor.")
    base_monthly_payment: Money = strawberry.field(description="Monthly depreciation + monthly rent charge.")
    monthly_tax: Money = strawberry.field(description="Sales tax on the base payment.")
    monthly_payment: Money = strawberry.field(description="Base payment + tax.")
    money_factor: Decimal = strawberry.field(description="The money factor.")
    apr_equivalent: Decimal = strawberry.field(description="Money factor × 2400, percent (an approximation).")
    security_deposit: Money = strawberry.field(description="Refundable security deposit.")
    due_at_signing: Money = strawberry.field(description="Cap cost reduction + first monthly payment + security "
                                             "deposit.")
    trade_in_credit: Money = strawberry.field(description="The part of the amount due at signing the trade-in pays.")
    cash_due_at_signing: Money = strawberry.field(description="Due at signing − trade-in credit.")
    total_of_payments: Money = strawberry.field(description="Due at signing without the refundable deposit + the "
                                                "other monthly payments.")

    @classmethod
    def of(cls, q: LeaseQuote) -> LeaseQuoteType:
        return cls(
            gross_cap_cost=money(q.gross_cap_cost), cap_cost_reduction=money(q.cap_cost_reduction),
            adjusted_cap_cost=money(q.adjusted_cap_cost), residual_value=money(q.residual_value),
            depreciation=money(q.depreciation), rent_charge=money(q.rent_charge_total),
            number_of_payments=q.term_months, monthly_depreciation=money(q.monthly_depreciation),
            monthly_rent_charge=money(q.monthly_rent_charge), base_monthly_payment=money(q.base_payment),
            monthly_tax=money(q.monthly_tax), monthly_payment=money(q.monthly_payment), money_factor=q.money_factor,
            apr_equivalent=q.apr_equivalent.quantize(Decimal("0.01")), security_deposit=money(q.security_deposit),
            due_at_signing=money(q.due_at_signing), trade_in_credit=money(q.trade_in_credit),
            cash_due_at_signing=money(q.cash_due_at_signing), total_of_payments=money(q.total_of_payments),
        )


@strawberry.type(name="DealQuote", description="The figures of a deal: `loan` or `lease` by its product, or the "
                 "errors that prevent them. Estimates: the credit decision sets the real terms.")
class DealQuoteType:
    loan: LoanQuoteType | None = strawberry.field(description="A loan's figures; null for a lease or with errors.")
    lease: LeaseQuoteType | None = strawberry.field(description="A lease's figures; null for a loan or with errors.")
    errors: list[UserError] = strawberry.field(description="INVALID, with the deal field at fault (term out of range, "
                                               "missing APR or money factor, nothing to finance, residual above the "
                                               "adjusted cap cost, ...). Empty when the figures are there.")

    @classmethod
    def of(cls, outcome: rules.QuoteOutcome, prefix: tuple[str, ...] = ()) -> DealQuoteType:
        problems = [Problem(p.code, p.message, (*prefix, *(p.field or ()))) if p.field else p
                    for p in outcome.problems]
        return cls(loan=LoanQuoteType.of(outcome.loan) if outcome.loan else None,
                   lease=LeaseQuoteType.of(outcome.lease) if outcome.lease else None, errors=user_errors(problems))


def application_quote(info: Info, row: CreditApplication) -> DealQuoteType:
    """The quote of an application's stored deal (errors name fields under `deal`)."""
    outcome = rules.quote(DealTerms.of(row), info.context.services.clock.today())
    return DealQuoteType.of(outcome, prefix=("deal",))


@strawberry.type
class DealQuoteQuery:
    # Pure calculation on the caller's figures, but it is a dealer tool: dealers only.
    @strawberry.field(
        extensions=[allow(DEALERS)],
        description="Quote a deal as it is being shaped: a loan's amount financed, monthly payment, finance charge, "
        "total of payments and APR, or a lease's cap costs, depreciation, rent charge, monthly payment with tax and "
        "amount due at signing. Uses the business date as the contract date. Nothing is stored.",
    )
    def deal_quote(self, info: Info, input: DealStructureInput) -> DealQuoteType:
        return DealQuoteType.of(rules.quote(input.terms(), info.context.services.clock.today()))
