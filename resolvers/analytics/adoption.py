"""Autopay and portal adoption.

Autopay: among ACTIVE contracts in scope, the share with an ACTIVE autopay plan. Portal: among the
customers (borrowers and co-buyers) of the contracts in scope that are active at some point in the
range, the share with an active customer login, and the share who signed in during the range (a
`login.succeeded` audit event about their login)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from resolvers.analytics.scope import (
    AnalyticsFilter,
    contract_scope,
    fetch,
    new_sql,
    rate,
)


@dataclass(frozen=True)
class AdoptionReport:
    active_contracts: int
    contracts_with_autopay: int
    autopay_rate: Decimal
    customers: int
    customers_with_login: int
    portal_rate: Decimal
    customers_signed_in: int
    signed_in_rate: Decimal

    def csv_rows(self) -> tuple[list[str], list[list]]:
        header = ["active_contracts", "contracts_with_autopay", "autopay_rate", "customers", "customers_with_login",
                  "portal_rate", "customers_signed_in", "signed_in_rate"]
        return header, [[getattr(self, name) for name in header]]


async def adoption_report(flt: AnalyticsFilter) -> AdoptionReport:
    sql = new_sql()
    scope = contract_scope(sql, flt)
    start, end = sql.date_param(flt.start), sql.date_param(flt.end)
    since, until = sql.day_start(flt.start), sql.day_after(flt.end)
    statement = f"""
WITH scope AS ({scope}),
autopay AS (
  SELECT COUNT(*) AS active_contracts,
         SUM(CASE WHEN EXISTS (SELECT 1 FROM autopay_plans p WHERE p.contract_id = s.id AND p.status = 'ACTIVE')
                  THEN 1 ELSE 0 END) AS with_autopay
  FROM scope s WHERE s.status = 'ACTIVE'
),
people AS (
  SELECT s.customer_id AS customer_id FROM scope s
  WHERE s.contract_date <= {end} AND (s.closed_on IS NULL OR s.closed_on >= {start})
  UNION
  SELECT s.co_customer_id FROM scope s
  WHERE s.co_customer_id IS NOT NULL AND s.contract_date <= {end} AND (s.closed_on IS NULL OR s.closed_on >= {start})
),
portal AS (
  SELECT COUNT(*) AS customers, COUNT(u.id) AS with_login,
         SUM(CASE WHEN u.id IS NOT NULL AND EXISTS (
               SELECT 1 FROM audit_events e WHERE e.subject_id = u.id AND e.action = 'login.succeeded'
                 AND e.occurred_at >= {since} AND e.occurred_at < {until}) THEN 1 ELSE 0 END) AS signed_in
  FROM people pp LEFT JOIN users u ON u.customer_id = pp.customer_id AND u.is_active
)
SELECT a.active_contracts AS active_contracts, a.with_autopay AS with_autopay, p.customers AS customers,
       p.with_login AS with_login, p.signed_in AS signed_in
FROM autopay a CROSS JOIN portal p"""
    row = (await fetch(sql, statement))[0]
    active, autopay = int(row["active_contracts"] or 0), int(row["with_autopay"] or 0)
    customers, with_login, signed = int(row["customers"] or 0), int(row["with_login"] or 0), int(row["signed_in"] or 0)
    return AdoptionReport(active_contracts=active, contracts_with_autopay=autopay, autopay_rate=rate(autopay, active),
                          customers=customers, customers_with_login=with_login, portal_rate=rate(with_login, customers),
                          customers_signed_in=signed, signed_in_rate=rate(signed, customers))
