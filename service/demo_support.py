"""Demo support cases, opened and worked through the same rules as the desk's mutations
(resolvers/support/cases.py), so each is audited and shows in the customer's security events:

- Bob Martinez, ACCOUNT_ACCESS, OPEN and unassigned (opened by `supportlead` for the queue): he
  changed phones and lost his authenticator. His login is not actually locked: a lock lasts 24 hours
  from the seed and would block a README login, so the demo only has the case.
- David Okafor, FEE_WAIVER on his Subaru Outback loan (the one with the late fee), assigned to
  `support` and WAITING_ON_CUSTOMER (a bank statement was asked for).

Deterministic and idempotent: each case has a fixed idempotency key, so a second run answers with the
cases of the first (and changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auth.audit import Origin
from models import Contract, Customer, User
from models.enums import CaseCategory, CaseStatus
from resolvers.support import cases
from service.container import Services

ORIGIN = Origin(ip="127.0.0.1", user_agent="autofin seed-demo")


@dataclass(frozen=True)
class DemoCase:
    key: str
    opener: str  # username
    first: str
    last: str
    vehicle_model: str | None  # the customer's contract whose vehicle this is; None: no contract
    category: CaseCategory
    subject: str
    note: str
    assign_to_opener: bool
    waiting_note: str | None = None  # set: moved to WAITING_ON_CUSTOMER with this note


DEMO_CASES = (
    DemoCase("demo-case-account-access", "supportlead", "Bob", "Martinez", None, CaseCategory.ACCOUNT_ACCESS,
             "Cannot sign in: new phone, authenticator app lost",
             "Customer called: he replaced his phone and no longer has the authenticator app or his recovery "
             "codes. Verify his identity before resetting two-step verification.", assign_to_opener=False),
    DemoCase("demo-case-fee-waiver", "support", "David", "Okafor", "Outback", CaseCategory.FEE_WAIVER,
             "Late fee waiver request: payment delayed by the bank",
             "Customer says the payment left his bank on time and asks us to waive the late fee.",
             assign_to_opener=True,
             waiting_note="Asked the customer for a bank statement showing the payment date."),
)


class DemoSupportError(RuntimeError):
    """A demo case did not go through the rules (the demo plan and the rules disagree)."""


async def seed_support(services: Services, *, progress: Callable[[str], None] = print) -> int:
    """Open (or find again) the demo cases; returns how many. Runs after the main demo seed."""
    for number, plan in enumerate(DEMO_CASES, 1):
        await _case(services, plan)
        progress(f"support cases {number}/{len(DEMO_CASES)}")
    return len(DEMO_CASES)


async def _case(services: Services, plan: DemoCase) -> None:
    staff = await User.get(username=plan.opener)
    customer = await Customer.get(first_name=plan.first, last_name=plan.last)
    contract_id = None
    if plan.vehicle_model is not None:
        contract = await Contract.get(customer_id=customer.id, vehicle__model=plan.vehicle_model)
        contract_id = contract.id
    outcome = await cases.open_case(
        services, staff=staff, origin=ORIGIN, customer_id=customer.id, contract_id=contract_id,
        contract_given=contract_id is not None, category=plan.category, subject=plan.subject, note=plan.note,
        assign_to_me=plan.assign_to_opener, idempotency_key=plan.key)
    if outcome.problems:
        raise DemoSupportError(f"{plan.key}: {[p.message for p in outcome.problems]}")
    if plan.waiting_note and outcome.case.status == CaseStatus.OPEN:
        moved = await cases.set_status(services, staff=staff, origin=ORIGIN, case_id=outcome.case.id,
                                       status=CaseStatus.WAITING_ON_CUSTOMER, note=plan.waiting_note)
        if moved.problems:
            raise DemoSupportError(f"{plan.key}: {[p.message for p in moved.problems]}")
