"""Outstanding balance by product and vintage (the month or quarter the contract was signed), as of
the range's end: for every contract signed by then and not closed by then, the amount financed less
the principal repaid (payments, adjustments and payoff waivers effective by that day, reversals added
back). For a lease that is the adjusted capitalized cost not yet depreciated through payments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from resolvers.analytics.scope import (
    AnalyticsFilter,
    cents_to_money,
    contract_scope,
    fetch,
    new_sql,
)

VINTAGE_MONTH = "MONTH"
VINTAGE_QUARTER = "QUARTER"


@dataclass(frozen=True)
class BalanceRow:
    product: str
    vintage: str
    contracts: int
    amount_financed: Decimal
    outstanding: Decimal


@dataclass(frozen=True)
class BalanceReport:
    as_of: object
    vintage_by: str
    rows: list[BalanceRow]

    def csv_rows(self) -> tuple[list[str], list[list]]:
        header = ["as_of", "product", "vintage", "contracts", "amount_financed", "outstanding"]
        return header, [[self.as_of, r.product, r.vintage, r.contracts, r.amount_financed, r.outstanding]
                        for r in self.rows]


async def balance_report(flt: AnalyticsFilter, vintage_by: str = VINTAGE_MONTH) -> BalanceReport:
    sql = new_sql()
    scope = contract_scope(sql, flt)
    end = sql.date_param(flt.end)
    vintage = sql.vintage("s.contract_date", vintage_by == VINTAGE_QUARTER)
    statement = f"""
WITH scope AS ({scope}),
open_contracts AS (
  SELECT s.id AS id, s.kind AS kind, s.amount_financed AS amount_financed, {vintage} AS vintage
  FROM scope s
  WHERE s.contract_date <= {end} AND (s.closed_on IS NULL OR s.closed_on > {end})
),
repaid AS (
  SELECT l.contract_id AS contract_id,
         SUM(CASE WHEN l.kind = 'PAYMENT_REVERSAL' THEN -l.principal ELSE l.principal END) AS principal
  FROM ledger_entries l JOIN open_contracts o ON o.id = l.contract_id
  WHERE l.kind IN ('PAYMENT', 'PAYMENT_REVERSAL', 'ADJUSTMENT', 'PAYOFF_WAIVER') AND l.effective_date <= {end}
  GROUP BY l.contract_id
)
SELECT o.kind AS product, o.vintage AS vintage, COUNT(*) AS contracts, SUM(o.amount_financed) AS financed,
       SUM(o.amount_financed - COALESCE(r.principal, 0)) AS outstanding
FROM open_contracts o LEFT JOIN repaid r ON r.contract_id = o.id
GROUP BY o.kind, o.vintage
ORDER BY o.kind, o.vintage"""
    rows = await fetch(sql, statement)
    return BalanceReport(as_of=flt.end, vintage_by=vintage_by, rows=[
        BalanceRow(product=row["product"], vintage=row["vintage"], contracts=int(row["contracts"]),
                   amount_financed=cents_to_money(row["financed"]), outstanding=cents_to_money(row["outstanding"]))
        for row in rows])
