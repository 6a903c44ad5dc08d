"""The terms of the contract an approved application becomes: figures from the deal structure and
the latest approving decision, through finance/, ready for the contract PDF and for booking.

Deal structure to contract (stated here because the PDF, and funding after it, must agree):
The structure's arithmetic is finance.deal's (the same as the dealer's quotes):
- Loan: amount financed = cash price + taxes + fees − cash down − trade-in value + trade-in payoff;
  the APR (simple interest note rate) and the term are the decision's approved ones (the
  application's requested ones when the decision leaves them empty). The disclosed APR comes from
  the payment stream by Appendix J (finance.apr.loan_disclosure), odd first period included.
- Lease: gross cap cost = cash price + fees + taxes + trade-in payoff; cap cost reduction = cash
  down + trade-in value; residual and mileage from the application; money factor and term from
  the decision (else the application's).
  The first monthly payment is due a month after signing (as servicing assumes), so the amount due
  at signing is the cap cost reduction plus the refundable security deposit.
- The amount financed (loan) or adjusted cap cost (lease) must not exceed the decision's approved
  amount: a structure changed beyond the approval is a CONFLICT, never silently capped, so the
  contract the customer signs is exactly the one booked.
- Contract date: the business date the contract is sent (an envelope's `created_at` date). First
  payment: the application's first payment date when it falls after the contract date, else one
  month after it (on day 28 at the latest).
- Servicing terms not on an application are the lender's standard ones (constants below).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from documents.contract_pdf import (
    ContractHeader,
    LeaseContract,
    LoanContract,
    Party,
    PaymentGroup,
    VehicleDescription,
)
from finance.apr import loan_disclosure
from finance.deal import DealStructure, lease_cap_cost, loan_amount_financed
from finance.lease import lease_disclosure
from finance.loan import add_months, amortization_schedule
from finance.money import ZERO, MoneyError
from models import Applicant, ApplicationDecision, CreditApplication, Customer, Dealership
from models.enums import ApplicantRole, ContractKind, DecisionOutcome
from resolvers.errors import ErrorCode, Problem

LATE_FEE = Decimal("25.00")
RETURNED_PAYMENT_FEE = Decimal("25.00")
GRACE_DAYS = 10
LAST_DUE_DAY = 28
EXCESS_MILEAGE_RATE = Decimal("0.25")
PURCHASE_OPTION_FEE = Decimal("350.00")
DISPOSITION_FEE = Decimal("395.00")
APPROVING_OUTCOMES = (DecisionOutcome.APPROVED, DecisionOutcome.APPROVED_WITH_CONDITIONS)
FIELD = ("applicationId",)


@dataclass(frozen=True)
class ContractTerms:
    """What the contract says, in the shape servicing books (models.Contract's columns)."""

    kind: ContractKind
    contract_date: date
    first_payment_date: date
    maturity_date: date
    term_months: int
    amount_financed: Decimal  # loan: amount financed; lease: adjusted capitalized cost
    scheduled_payment: Decimal  # the level payment (a lease's includes monthly tax)
    document: LoanContract | LeaseContract
    apr: Decimal | None = None  # loan: the note rate, percent
    gross_cap_cost: Decimal | None = None
    cap_cost_reduction: Decimal | None = None
    residual_value: Decimal | None = None
    money_factor: Decimal | None = None
    sales_tax_rate: Decimal | None = None
    annual_mileage_allowance: int | None = None
    excess_mileage_rate: Decimal | None = None
    purchase_option_fee: Decimal | None = None
    disposition_fee: Decimal | None = None
    late_fee: Decimal = LATE_FEE
    returned_payment_fee: Decimal = RETURNED_PAYMENT_FEE
    grace_days: int = GRACE_DAYS


@dataclass(frozen=True)
class DealParties:
    """The rows a contract names: loaded once by `load_parties`."""

    dealership: Dealership
    applicant: Customer
    co_applicant: Customer | None


async def latest_approval(application_id: int, using_db: BaseDBAsyncClient | None = None
                          ) -> ApplicationDecision | None:
    """The application's most recent APPROVED or APPROVED_WITH_CONDITIONS decision."""
    return await (ApplicationDecision.filter(application_id=application_id, outcome__in=APPROVING_OUTCOMES)
                  .using_db(using_db).order_by("-id").first())


async def load_parties(application: CreditApplication, using_db: BaseDBAsyncClient | None = None
                       ) -> DealParties | None:
    """The dealership and the applicants' customer rows; None when the application has no applicant."""
    applicants = await Applicant.filter(application_id=application.id).using_db(using_db).select_related("customer")
    by_role = {row.role: row.customer for row in applicants}
    if ApplicantRole.APPLICANT not in by_role:
        return None
    dealership = await Dealership.get(id=application.dealership_id).using_db(using_db)
    return DealParties(dealership=dealership, applicant=by_role[ApplicantRole.APPLICANT],
                       co_applicant=by_role.get(ApplicantRole.CO_APPLICANT))


def full_name(customer: Customer) -> str:
    return " ".join(f"{customer.first_name} {customer.last_name}".split())


def _address(customer: Customer) -> tuple[str, ...]:
    lines = (customer.address_line1, customer.address_line2,
             f"{customer.city}, {customer.state} {customer.postal_code}".strip())
    return tuple(line for line in lines if line)


def first_payment_date(application: CreditApplication, contract_date: date) -> date:
    """The application's date when it is still ahead; otherwise one month after the contract date, on
    a day every month has (as funding books it: resolvers/origination/funding.py)."""
    wanted = application.first_payment_date
    if wanted is not None and wanted > contract_date:
        return wanted
    first = add_months(contract_date, 1)
    return first.replace(day=min(first.day, LAST_DUE_DAY))


def _header(application: CreditApplication, parties: DealParties, contract_date: date) -> ContractHeader:
    dealership = parties.dealership
    buyers = tuple(Party(full_name(c), _address(c)) for c in (parties.applicant, parties.co_applicant) if c)
    vehicle = VehicleDescription(
        year=application.vehicle_year, make=application.vehicle_make, model=application.vehicle_model,
        trim=application.vehicle_trim, vin=application.vin, condition=application.vehicle_condition.value,
        odometer=application.vehicle_mileage,
    )
    return ContractHeader(reference=application.number, contract_date=contract_date,
                          seller=Party(dealership.name, (f"{dealership.city}, {dealership.state}",)),
                          buyers=buyers, vehicle=vehicle)


def _payment_groups(payments: list[tuple[Decimal, date]]) -> tuple[PaymentGroup, ...]:
    """Consecutive equal payments as one line ("35 payments of 166.07 monthly beginning ...")."""
    groups: list[PaymentGroup] = []
    for amount, due in payments:
        if groups and groups[-1].amount == amount:
            last = groups[-1]
            groups[-1] = PaymentGroup(count=last.count + 1, amount=amount, first_due=last.first_due)
        else:
            groups.append(PaymentGroup(count=1, amount=amount, first_due=due))
    return tuple(groups)


def contract_terms(application: CreditApplication, decision: ApplicationDecision, parties: DealParties,
                   contract_date: date) -> ContractTerms | Problem:
    """The contract's terms, or why the approved structure cannot become one (nothing is raised)."""
    try:
        if application.product == ContractKind.LOAN:
            return _loan(application, decision, parties, contract_date)
        return _lease(application, decision, parties, contract_date)
    except (ValueError, MoneyError) as exc:
        return Problem(ErrorCode.INVALID, f"The deal structure cannot be contracted: {exc}.", FIELD)


def _structure(application: CreditApplication) -> DealStructure:
    a = application
    return DealStructure(cash_price=a.cash_price, fees=a.fees, taxes=a.taxes, cash_down=a.cash_down,
                         trade_in_value=a.trade_in_value, trade_in_payoff=a.trade_in_payoff,
                         add_ons=a.add_ons_price)  # coverage products sold with the deal


def _over_approval(amount: Decimal, decision: ApplicationDecision, what: str) -> Problem | None:
    if decision.approved_amount is not None and amount > decision.approved_amount:
        return Problem(ErrorCode.CONFLICT, f"The {what} {amount} is more than the approved {decision.approved_amount}: "
                       "ask for a new decision or change the structure.", FIELD)
    return None


def _loan(application: CreditApplication, decision: ApplicationDecision, parties: DealParties,
          contract_date: date) -> ContractTerms | Problem:
    a = application
    financed = loan_amount_financed(_structure(a), None)  # uncapped: over the approval is refused below
    problem = _over_approval(financed, decision, "amount financed")
    if problem is not None:
        return problem
    rate = decision.approved_apr if decision.approved_apr is not None else a.requested_apr
    if rate is None:
        return Problem(ErrorCode.CONFLICT, "The approval states no APR.", FIELD)
    term = decision.approved_term_months or a.term_months
    first = first_payment_date(a, contract_date)
    schedule = amortization_schedule(financed, rate, term, first)
    tila = loan_disclosure(financed, rate, term, first, contract_date)
    down = max(a.cash_down + a.trade_in_value - a.trade_in_payoff, ZERO)
    document = LoanContract(
        header=_header(a, parties, contract_date), apr=tila.apr, note_rate=rate, finance_charge=tila.finance_charge,
        amount_financed=tila.amount_financed, total_of_payments=tila.total_of_payments,
        total_sale_price=tila.total_of_payments + down, down_payment=down, term_months=term,
        payments=_payment_groups([(item.payment, item.due_date) for item in schedule]),
        cash_price=a.cash_price, taxes=a.taxes, fees=a.fees, cash_down=a.cash_down, trade_in_value=a.trade_in_value,
        trade_in_payoff=a.trade_in_payoff, late_fee=LATE_FEE, grace_days=GRACE_DAYS,
        returned_payment_fee=RETURNED_PAYMENT_FEE, add_ons=Decimal(a.add_ons_price),
    )
    return ContractTerms(kind=ContractKind.LOAN, contract_date=contract_date, first_payment_date=first,
                         maturity_date=schedule[-1].due_date, term_months=term, amount_financed=financed,
                         scheduled_payment=schedule[0].payment, apr=rate, document=document)


def _lease(application: CreditApplication, decision: ApplicationDecision, parties: DealParties,
           contract_date: date) -> ContractTerms | Problem:
    a = application
    factor = decision.approved_money_factor if decision.approved_money_factor is not None else a.money_factor
    if factor is None or a.residual_value is None or not a.annual_mileage:
        return Problem(ErrorCode.INVALID, "A lease needs a money factor, a residual value and an annual mileage.",
                       FIELD)
    term = decision.approved_term_months or a.term_months
    cap = lease_cap_cost(_structure(a))
    gross, reduction = cap.gross_cap_cost, cap.cap_cost_reduction
    tax_rate = a.sales_tax_rate or Decimal(0)
    reg_m = lease_disclosure(gross, reduction, a.residual_value, factor, term, tax_rate,
                             disposition_fee=DISPOSITION_FEE, fees_at_signing=ZERO, first_payment_at_signing=False)
    problem = _over_approval(reg_m.adjusted_cap_cost, decision, "adjusted capitalized cost")
    if problem is not None:
        return problem
    first = first_payment_date(a, contract_date)
    allowed = int((Decimal(a.annual_mileage) * term / 12).to_integral_value())
    document = LeaseContract(
        header=_header(a, parties, contract_date),
        amount_due_at_signing=reg_m.amount_due_at_signing + a.security_deposit, security_deposit=a.security_deposit,
        monthly_payment=reg_m.total_monthly_payment, base_monthly_payment=reg_m.base_monthly_payment,
        monthly_tax=reg_m.monthly_tax, term_months=term, first_payment_date=first, other_charges=reg_m.other_charges,
        total_of_payments=reg_m.total_of_payments, gross_cap_cost=reg_m.gross_cap_cost,
        cap_cost_reduction=reg_m.cap_cost_reduction, adjusted_cap_cost=reg_m.adjusted_cap_cost,
        residual_value=reg_m.residual_value, depreciation=reg_m.depreciation, rent_charge=reg_m.rent_charge_total,
        total_of_base_payments=reg_m.total_of_base_payments, monthly_depreciation=reg_m.monthly_depreciation,
        monthly_rent_charge=reg_m.monthly_rent_charge, money_factor=factor, sales_tax_rate=tax_rate,
        annual_mileage=a.annual_mileage, allowed_miles=allowed, excess_mileage_rate=EXCESS_MILEAGE_RATE,
        purchase_option_fee=PURCHASE_OPTION_FEE, purchase_option_price=reg_m.residual_value + PURCHASE_OPTION_FEE,
        cash_price=a.cash_price, fees=a.fees, taxes=a.taxes, cash_down=a.cash_down, trade_in_value=a.trade_in_value,
        trade_in_payoff=a.trade_in_payoff, late_fee=LATE_FEE, grace_days=GRACE_DAYS,
        returned_payment_fee=RETURNED_PAYMENT_FEE,
    )
    return ContractTerms(
        kind=ContractKind.LEASE, contract_date=contract_date, first_payment_date=first,
        maturity_date=add_months(first, term - 1), term_months=term, amount_financed=reg_m.adjusted_cap_cost,
        scheduled_payment=reg_m.total_monthly_payment, document=document, gross_cap_cost=gross,
        cap_cost_reduction=reduction, residual_value=a.residual_value, money_factor=factor, sales_tax_rate=tax_rate,
        annual_mileage_allowance=a.annual_mileage, excess_mileage_rate=EXCESS_MILEAGE_RATE,
        purchase_option_fee=PURCHASE_OPTION_FEE, disposition_fee=DISPOSITION_FEE,
    )
