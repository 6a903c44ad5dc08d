"""The payments job: charge due payments, then look for returns. Safe with many workers and retries
(every payment is claimed with a conditional update; ledger postings have unique keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from resolvers.payments.processing import ProcessingReport, ReturnsReport, check_returns, process_due_payments
from service.container import Services


@dataclass
class PaymentsRun:
    processing: ProcessingReport
    returns: ReturnsReport


async def run_payments(services: Services, business_date: date | None = None) -> PaymentsRun:
    day = business_date or services.clock.today()
    processed = await process_due_payments(services, day)
    returned = await check_returns(services, day)
    return PaymentsRun(processing=processed, returns=returned)
