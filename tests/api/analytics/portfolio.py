"""A small generated portfolio for the analytics tests: a dozen contracts across two dealers in two
states, loans and leases, payment histories that put contracts in every bucket over 2026, closed
contracts (paid off early, at maturity, charged off), origination tiers, applications with decisions,
autopay plans and customer logins. The tests compute their expected figures from these rows with the
servicing engine's own functions, independently of the SQL under test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from auth import audit
from finance.loan import add_months, level_payment
from models import (
    AutopayPlan,
    Contract,
    CreditApplication,
    Envelope,
    Funding,
    LedgerEntry,
    User,
)
from models.enums import (
    ContractKind,
    ContractStatus,
    DecisionOutcome,
    LedgerEntryKind,
    Role,
)
from models.origination import ApplicationDecision
from tests import factories
from tests.api.origination.decision_builders import submitted_application
from tests.api.payments.payment_helpers import bank_account
from tests.api.servicing.builders import LEASE_TERMS, entry, posted

D = Decimal
_n = itertools.count(1)
EIGHTY_PERCENT = D("0.8")


@dataclass
class Portfolio:
    contracts: list[Contract] = field(default_factory=list)
    dealers: dict[str, object] = field(default_factory=dict)
    tiers: dict[int, str] = field(default_factory=dict)  # contract id -> tier
    applications: list[tuple[CreditApplication, str, str]] = field(default_factory=list)  # (app, outcome, tier)
    analyst: User | None = None
    customer_users: list[User] = field(default_factory=list)


async def _pay(contract: Contract, day: date, amount: Decimal, principal_share: Decimal = EIGHTY_PERCENT) -> None:
    principal = (amount * principal_share).quantize(D("0.01"))
    await factories.payment(contract, day, str(principal), str(amount - principal), posted(day))


async def build(services) -> Portfolio:
    p = Portfolio()
    tx = await factories.dealership(code="TX01", name="Lone Star Motors", state="TX")
    az = await factories.dealership(code="AZ01", name="=Desert Autos", state="AZ")  # a formula-looking name
    p.dealers = {"TX01": tx, "AZ01": az}
    creator = await factories.user(services, "dealer-tx", Role.DEALER_USER, dealership=tx)
    p.analyst = await factories.user(services, "ana", Role.ANALYST)

    async def person(login: bool):
        owner = await factories.customer(services, ssn=f"5551{next(_n):05d}")
        if login:
            p.customer_users.append(await factories.user(services, f"cust{owner.id}", Role.CUSTOMER, customer=owner))
        return owner

    async def loan(dealer, *, signed=date(2026, 1, 15), first=date(2026, 2, 15), term=36, login=True, **extra):
        owner = await person(login)
        extra.setdefault("apr", D("12.0000"))
        extra.setdefault("scheduled_payment", level_payment(extra.get("amount_financed", D("5000.00")), extra["apr"],
                                                            term))
        contract = await factories.loan(owner, dealer, contract_date=signed, first_payment_date=first,
                                        maturity_date=add_months(first, term - 1), term_months=term, **extra)
        p.contracts.append(contract)
        return contract

    async def lease(dealer, *, signed=date(2026, 1, 15), first=date(2026, 2, 15), login=True):
        owner = await person(login)
        contract = await factories.loan(owner, dealer, kind=ContractKind.LEASE, apr=None, contract_date=signed,
                                        first_payment_date=first, maturity_date=add_months(first, 35),
                                        term_months=36, **LEASE_TERMS)
        p.contracts.append(contract)
        return contract

    # 1. always on time (TX).
    c = await loan(tx)
    for k in range(9):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    # 2. pays 3, then stops: walks through every bucket (TX).
    c = await loan(tx, apr=D("6.9000"))
    for k in range(3):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    # 3. pays 5, misses 2, then catches up with a triple payment (cures) (TX).
    c = await loan(tx, apr=D("9.9000"))
    for k in range(5):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    await _pay(c, date(2026, 9, 20), c.scheduled_payment * 3)
    # 4. pays late every month by 20 days (1-29 bucket at some month ends) (AZ).
    c = await loan(az, signed=date(2026, 2, 10), first=date(2026, 3, 10))
    for k in range(7):
        await _pay(c, add_months(c.first_payment_date, k) + timedelta(days=20), c.scheduled_payment)
    # 5. never pays (AZ, no login).
    await loan(az, signed=date(2026, 3, 1), first=date(2026, 4, 1), login=False)
    # 6. a lease on time (TX), and 7. a lease that stops after 4 payments (AZ).
    c = await lease(tx)
    for k in range(9):
        await _pay(c, add_months(c.first_payment_date, k), LEASE_TERMS["scheduled_payment"], D("0.7"))
    c = await lease(az, signed=date(2025, 12, 20), first=date(2026, 1, 20))
    for k in range(4):
        await _pay(c, add_months(c.first_payment_date, k), LEASE_TERMS["scheduled_payment"], D("0.7"))
    # 8. paid off early on 2026-06-30 (TX).
    c = await loan(tx, apr=D("4.9000"))
    for k in range(4):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    await _pay(c, date(2026, 6, 30), D("4400.00"), D("0.99"))
    await _close(c, ContractStatus.PAID_OFF, date(2026, 6, 30))
    # 9. charged off on 2026-09-30 after paying 2 (AZ).
    c = await loan(az, apr=D("14.9000"))
    for k in range(2):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    await _close(c, ContractStatus.CHARGED_OFF, date(2026, 9, 30))
    # 10. a 3-month loan paid to maturity (closed on maturity: not a prepayment) (TX).
    c = await loan(tx, signed=date(2026, 1, 10), first=date(2026, 2, 10), term=3, amount_financed=D("900.00"),
                   apr=D("2.0000"))
    for k in range(3):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment, D("0.99"))
    await _close(c, ContractStatus.MATURED, c.maturity_date)
    # 11. signed in 2025, on time, a payment reversed (returned) in May (TX); 12. signed in October (AZ).
    c = await loan(tx, signed=date(2025, 11, 5), first=date(2025, 12, 5))
    for k in range(11):
        await _pay(c, add_months(c.first_payment_date, k), c.scheduled_payment)
    returned = await LedgerEntry.filter(contract_id=c.id, effective_date=date(2026, 5, 5)).first()
    await entry(c, LedgerEntryKind.PAYMENT_REVERSAL, date(2026, 5, 5), principal=str(returned.principal),
                interest=str(returned.interest), reverses=returned)
    await loan(az, signed=date(2026, 10, 5), first=date(2026, 11, 5), apr=D("3.9000"))

    # Credit tiers: contracts 1 and 2 came through origination as tier A, contract 4 as tier C.
    for index, tier in ((0, "A"), (1, "A"), (3, "C")):
        await _fund(services, p.contracts[index], creator, tier)
        p.tiers[p.contracts[index].id] = tier

    # Applications submitted now, with their latest decisions.
    for outcome, tier, dealer in ((DecisionOutcome.APPROVED, "A", tx), (DecisionOutcome.APPROVED_WITH_CONDITIONS, "B", tx),
                                  (DecisionOutcome.DECLINED, "", tx), (DecisionOutcome.COUNTER_OFFER, "C", az),
                                  (DecisionOutcome.REFERRED, "", az), (DecisionOutcome.DECLINED, "C", az)):
        application = await submitted_application(services, dealer, creator, f"5009{next(_n):05d}")
        if outcome == DecisionOutcome.APPROVED_WITH_CONDITIONS:  # an earlier referral, then the final decision
            await _decision(services, application, DecisionOutcome.REFERRED, "")
        await _decision(services, application, outcome, tier)
        p.applications.append((application, outcome.value, tier or "UNKNOWN"))

    # Autopay: ACTIVE on contracts 1 and 6, CANCELLED on 3.
    for index, status in ((0, "ACTIVE"), (5, "ACTIVE"), (2, "CANCELLED")):
        contract = p.contracts[index]
        method = await bank_account(services, await contract.customer)
        user = await User.get(customer_id=contract.customer_id)
        now = services.clock.now()
        await AutopayPlan.create(contract=contract, user=user, method=method, status=status, created_at=now,
                                 updated_at=now)
    # Sign-ins: two customers signed in during 2026, one in 2025 only.
    await audit.record("login.succeeded", clock=services.clock, actor=p.customer_users[0],
                       subject=p.customer_users[0])
    await audit.record("login.succeeded", clock=services.clock, actor=p.customer_users[1],
                       subject=p.customer_users[1])
    old = _Clock(datetime(2025, 6, 1, 12, tzinfo=UTC))
    await audit.record("login.succeeded", clock=old, actor=p.customer_users[2], subject=p.customer_users[2])
    for contract in p.contracts:
        await contract.refresh_from_db()
    return p


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


async def _close(contract: Contract, status: ContractStatus, day: date) -> None:
    await Contract.filter(id=contract.id).update(status=status, closed_on=day)


async def _decision(services, application, outcome: DecisionOutcome, tier: str) -> ApplicationDecision:
    return await ApplicationDecision.create(application=application, outcome=outcome, rate_tier=tier,
                                            approved_apr=D("5.9000") if tier else None,
                                            created_at=services.clock.now())


async def _fund(services, contract: Contract, creator: User, tier: str) -> None:
    dealer = await contract.dealership
    application = await submitted_application(services, dealer, creator, f"5008{next(_n):05d}")
    await _decision(services, application, DecisionOutcome.APPROVED, tier)
    now = services.clock.now()
    envelope = await Envelope.create(application=application, created_by=creator, created_at=now,
                                     expires_at=now + timedelta(days=7))
    await Funding.create(application=application, envelope=envelope, contract=contract, dealership=dealer,
                         amount=contract.amount_financed, created_at=now)
