"""Prepayment and charge-off rates by product over the range.

Exposed: contracts open at some point in the range (signed on or before its end, not closed before
its start). Prepaid: PAID_OFF, closed in the range, before the maturity date. Charged off:
CHARGED_OFF, closed in the range (Contract.closed_on). Rates are over the exposed contracts; the
charged-off principal is the amount financed less the principal repaid by the day of the charge-off."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from resolvers.analytics.scope import (
    AnalyticsFilter,
    cents_to_money,
    contract_scope,
    fetch,
    new_sql,
    rate,
)


@dataclass(frozen=True)
class OutcomeRow:
    product: str
    exposed: int
    prepaid: int
    charged_off: int
    prepayment_rate: Decimal
    charge_off_rate: Decimal
    charged_off_principal: Decimal


@dataclass(frozen=True)
class OutcomeReport:
    rows: list[OutcomeRow]

    def csv_rows(self) -> tuple[list[str], list[list]]:
        header = ["product", "exposed", "prepaid", "charged_off", "prepayment_rate", "charge_off_rate",
                  "charged_off_principal"]
        return header, [[getattr(row, name) for name in header] for row in self.rows]


async def outcome_report(flt: AnalyticsFilter) -> OutcomeReport:
    sql = new_sql()
    scope = contract_scope(sql, flt)
    start, end = sql.date_param(flt.start), sql.date_param(flt.end)
    closed_in_range = f"s.closed_on >= {start} AND s.closed_on <= {end}"
    statement = f"""
WITH scope AS ({scope}),
exposed AS (
  SELECT s.id AS id, s.kind AS kind, s.amount_financed AS amount_financed,
         CASE WHEN s.status = 'PAID_OFF' AND {closed_in_range} AND s.closed_on < s.maturity_date
              THEN 1 ELSE 0 END AS prepaid,
         CASE WHEN s.status = 'CHARGED_OFF' AND {closed_in_range} THEN 1 ELSE 0 END AS charged_off,
         s.closed_on AS closed_on
  FROM scope s
  WHERE s.contract_date <= {end} AND (s.closed_on IS NULL OR s.closed_on >= {start})
),
repaid AS (
  SELECT l.contract_id AS contract_id,
         SUM(CASE WHEN l.kind = 'PAYMENT_REVERSAL' THEN -l.principal ELSE l.principal END) AS principal
  FROM ledger_entries l JOIN exposed x ON x.id = l.contract_id AND x.charged_off = 1
  WHERE l.kind IN ('PAYMENT', 'PAYMENT_REVERSAL', 'ADJUSTMENT', 'PAYOFF_WAIVER')
    AND l.effective_date <= x.closed_on
  GROUP BY l.contract_id
)
SELECT x.kind AS product, COUNT(*) AS exposed, SUM(x.prepaid) AS prepaid, SUM(x.charged_off) AS charged_off,
       SUM(CASE WHEN x.charged_off = 1 THEN x.amount_financed - COALESCE(r.principal, 0) ELSE 0 END) AS lost
FROM exposed x LEFT JOIN repaid r ON r.contract_id = x.id
GROUP BY x.kind
ORDER BY x.kind"""
    rows = []
    for row in await fetch(sql, statement):
        exposed, prepaid, charged = int(row["exposed"]), int(row["prepaid"] or 0), int(row["charged_off"] or 0)
        rows.append(OutcomeRow(product=row["product"], exposed=exposed, prepaid=prepaid, charged_off=charged,
                               prepayment_rate=rate(prepaid, exposed), charge_off_rate=rate(charged, exposed),
                               charged_off_principal=cents_to_money(row["lost"])))
    return OutcomeReport(rows=rows)
