"""The daily close's coverage step: "your coverage is about to end" notices.

For the business date D, every ACTIVE coverage product on an ACTIVE contract that has not had its
notice and is due one (finance/coverage.py `notice_due`: in force and ending within 30 days, or
within 1,000 miles of its limit by the latest odometer reading) gets ONE COVERAGE_EXPIRING
notification and email to the contract's customer (their login; a customer without one is skipped),
unless they turned coverage reminders off.

Once: `expiry_notice_sent_on` is set by a conditional UPDATE (still null) in the transaction that
writes the notification and the outbox row; the process whose UPDATE changed the row sends, any
other (a re-run, a concurrent close) changes nothing. The date is set also when the preference is
off or there is no login, so the decision is made once per coverage (turning the preference on later
does not send a late notice). The factory warranty is not a row and gets no notice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from tortoise.transactions import in_transaction

from finance import coverage as math
from mail import notify as mail
from models import Contract, Coverage, Customer, OdometerReading, User, Vehicle
from models.enums import (
    ContractStatus,
    CoverageKind,
    CoverageStatus,
    NotificationCategory,
)
from resolvers.coverage.status import coverage_terms, readings_of
from resolvers.notifications import notify
from service.container import Services

log = logging.getLogger("autofin.coverage.notices")

BATCH = 500
LABELS = {
    CoverageKind.EXTENDED_WARRANTY: "vehicle service contract", CoverageKind.PREPAID_MAINTENANCE: "maintenance plan",
    CoverageKind.ROADSIDE_ASSISTANCE: "roadside assistance", CoverageKind.GAP: "GAP coverage",
    CoverageKind.TIRE_AND_WHEEL: "tire and wheel coverage",
}


async def send_expiry_notices(services: Services, day: date) -> int:
    """Send the notices due on `day`; return how many notifications this call sent."""
    sent, after = 0, 0
    while True:
        batch = list(await Coverage.filter(id__gt=after, status=CoverageStatus.ACTIVE, expiry_notice_sent_on=None,
                                           start_date__lte=day).order_by("id").limit(BATCH))
        if not batch:
            return sent
        after = batch[-1].id
        contract_ids = {row.contract_id for row in batch}
        contracts = {c.id: c for c in await Contract.filter(id__in=contract_ids, status=ContractStatus.ACTIVE)}
        vehicles = {v.id: v for v in await Vehicle.filter(id__in={c.vehicle_id for c in contracts.values()})}
        odometer = defaultdict(list)
        for reading in await OdometerReading.filter(contract_id__in=list(contracts), read_on__lte=day):
            odometer[reading.contract_id].append(reading)
        for row in batch:
            contract = contracts.get(row.contract_id)
            if contract is None:
                continue
            readings = readings_of(contract, vehicles[contract.vehicle_id], odometer[contract.id])
            standing = math.standing(coverage_terms(row), day, readings)
            if math.notice_due(standing, day):
                sent += await _send(services, row, contract, vehicles[contract.vehicle_id], standing, day)
    return sent


async def _send(services: Services, row: Coverage, contract: Contract, vehicle: Vehicle,
                standing: math.CoverageStanding, day: date) -> int:
    async with in_transaction() as connection:
        claimed = await Coverage.filter(id=row.id, expiry_notice_sent_on=None).using_db(connection).update(
            expiry_notice_sent_on=day)
        if not claimed:
            return 0  # another close sent it
        user = await User.filter(customer_id=contract.customer_id, is_active=True).using_db(connection).first()
        if user is None:
            return 0
        customer = await Customer.filter(id=contract.customer_id).using_db(connection).get()
        label = LABELS.get(row.kind, "coverage")
        vehicle_label = f"{vehicle.year} {vehicle.make} {vehicle.model}"
        miles = ""
        if standing.ends_at_miles is not None:
            miles = f" or at {standing.ends_at_miles:,} miles ({standing.remaining_miles:,} miles left)"
        title = f"Your {label} on the {vehicle_label} ends soon"
        body = (f"Your {row.plan_name} from {row.provider} ends on {standing.ends_on.isoformat()}{miles}, whichever "
                "comes first. Your dealer can tell you about renewing it.")
        done = await notify(services, user=user, category=NotificationCategory.COVERAGE_EXPIRING, title=title,
                            body=body, email_template="coverage_expiring", email_context={
                                "first_name": customer.first_name, "link": mail.portal_link(services, "contracts")},
                            using_db=connection)
    log.info("coverage expiry notice", extra={"coverage_id": row.id, "sent": done})
    return int(done)
