"""Document runs of the daily close: the monthly statement cycle and the yearly tax documents.

`cycle_statements` runs on every close and acts on the 1st of a month (last month's statements);
`maybe_generate_tax_documents` acts on January 31 (last year's tax documents; `autofin
generate-tax-documents --year YYYY` runs the same for any year). Both are idempotent: a document
that exists is never generated, changed or announced again, so a repeated close changes nothing.
"""

from __future__ import annotations

from datetime import date

from resolvers.servicing import documents
from service.container import Services


async def cycle_statements(services: Services, business_date: date, *, first_id: int | None = None,
                           last_id: int | None = None) -> int:
    """On the 1st: last month's statement of every ACTIVE contract (signed by the end of that month),
    emailing "statement ready" to customers with a login who want it. Returns how many were generated.
    `first_id`/`last_id`: only the contracts in that id range (the daily close splits the cycle)."""
    return await documents.cycle_statements(services, business_date, first_id=first_id, last_id=last_id)


def statement_contracts(business_date: date):
    """The contracts `cycle_statements` covers on `business_date` (a queryset), or None on other days."""
    return documents.statement_contracts(business_date)


async def maybe_generate_tax_documents(services: Services, business_date: date) -> int:
    """On January 31: the previous year's tax documents. Returns how many were generated."""
    return await documents.maybe_generate_tax_documents(services, business_date)


async def generate_tax_documents(services: Services, year: int) -> int:
    """The tax documents of `year` for every contract with ledger activity in that year."""
    return await documents.generate_tax_documents(services, year)


async def backfill_documents(services: Services, business_date: date) -> int:
    """Every past statement and tax document still missing on `business_date`, without emails (demo data)."""
    return await documents.backfill_documents(services, business_date)
