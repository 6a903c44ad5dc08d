"""Delinquency by bucket at each month end, and roll rates between buckets month to month.

Where the figures come from: `contract_delinquency` holds only the latest state per contract (the
daily close rewrites it, and drops closed contracts), so it has no history. Each month end is
therefore derived from the ledger, the way finance/due.py does it: the credits effective on or
before the month end (payments net of their fee part, less reversals, plus payoff waivers) cover the
installments oldest first; days past due run from the due date of the first installment not
covered. Installments are the contract's monthly scheduled payment from its first payment date,
day of month kept (finance.loan.add_months). Two simplifications, both noted in the report's
`source`: approved payment-plan changes (deferrals, due-date moves) are not applied, and a loan's
last installment is taken at the level payment (it differs by cents).

A contract counts at a month end when it was signed on or before it and not closed by then.
A roll rate is, among contracts counted at both month ends, the share in bucket A at the first
that are in bucket B at the second.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finance.due import BUCKETS
from resolvers.analytics.scope import (
    AnalyticsFilter,
    contract_scope,
    fetch,
    month_ends,
    month_index,
    new_sql,
    rate,
)

SOURCE = ("derived from the ledger at each month end (the delinquency snapshot table keeps only the latest "
          "state); payment-plan changes are not applied and a loan's last installment is taken at the level "
          "payment")


@dataclass(frozen=True)
class BucketFigure:
    bucket: str
    contracts: int
    share: Decimal


@dataclass(frozen=True)
class DelinquencyMonth:
    month_end: date
    contracts: int
    buckets: list[BucketFigure]


@dataclass(frozen=True)
class RollRate:
    month_end: date  # the later month end
    from_bucket: str
    to_bucket: str
    contracts: int
    rate: Decimal


@dataclass(frozen=True)
class DelinquencyReport:
    months: list[DelinquencyMonth]
    roll_rates: list[RollRate]
    source: str = SOURCE

    def csv_rows(self) -> tuple[list[str], list[list]]:
        header = ["figure", "month_end", "from_bucket", "bucket", "contracts", "share_or_rate"]
        rows: list[list] = []
        for month in self.months:
            for item in month.buckets:
                rows.append(["bucket", month.month_end, "", item.bucket, item.contracts, item.share])
        for roll in self.roll_rates:
            rows.append(["roll_rate", roll.month_end, roll.from_bucket, roll.to_bucket, roll.contracts, roll.rate])
        return header, rows


def _bucket_case(days: str) -> str:
    return (f"CASE WHEN {days} >= 90 THEN 'DPD_90_PLUS' WHEN {days} >= 60 THEN 'DPD_60_89' "
            f"WHEN {days} >= 30 THEN 'DPD_30_59' WHEN {days} >= 1 THEN 'DPD_1_29' ELSE 'CURRENT' END")


async def delinquency_report(flt: AnalyticsFilter, today: date) -> DelinquencyReport:
    ends = month_ends(flt.start, min(flt.end, today))
    if not ends:
        return DelinquencyReport(months=[], roll_rates=[])
    sql = new_sql()
    scope = contract_scope(sql, flt)
    values = ", ".join(f"({i}, {sql.date_literal(day)})" for i, day in enumerate(ends))
    first = month_index(ends[0])
    covered = ("CASE WHEN g.scheduled_payment > 0 THEN CAST(" + sql.greatest("g.credited", "0")
               + " AS BIGINT) / g.scheduled_payment ELSE g.term_months END")
    due = sql.add_months("c.first_payment_date", "c.covered")
    days = (f"CASE WHEN c.covered >= c.term_months THEN 0 WHEN {due} < c.month_end "
            f"THEN {sql.days_between('c.month_end', due)} ELSE 0 END")
    statement = f"""
WITH scope AS ({scope}),
ends(idx, month_end) AS (VALUES {values}),
events AS (
  SELECT l.contract_id AS id,
         {sql.greatest(sql.month_number('l.effective_date') + f' - {first}', '0')} AS idx,
         CASE WHEN l.kind = 'PAYMENT_REVERSAL' THEN l.fees - l.amount ELSE l.amount - l.fees END AS credit,
         0 AS counted, NULL AS month_end, NULL AS closed_on, NULL AS first_payment_date, NULL AS term_months,
         NULL AS scheduled_payment
  FROM scope s JOIN ledger_entries l ON l.contract_id = s.id
  WHERE l.kind IN ('PAYMENT', 'PAYMENT_REVERSAL', 'PAYOFF_WAIVER')
    AND l.effective_date <= {sql.date_literal(ends[-1])}
  UNION ALL
  SELECT s.id, e.idx, 0, 1, e.month_end, s.closed_on, s.first_payment_date, s.term_months, s.scheduled_payment
  FROM scope s CROSS JOIN ends e
  WHERE s.contract_date <= e.month_end
),
per_month AS (
  SELECT id, idx, SUM(credit) AS credit, MAX(counted) AS counted, MAX(month_end) AS month_end,
         MAX(closed_on) AS closed_on, MAX(first_payment_date) AS first_payment_date,
         MAX(term_months) AS term_months, MAX(scheduled_payment) AS scheduled_payment
  FROM events GROUP BY id, idx
),
grid AS (
  SELECT id, idx, month_end, closed_on, first_payment_date, term_months, scheduled_payment, counted,
         SUM(credit) OVER (PARTITION BY id ORDER BY idx) AS credited
  FROM per_month
),
open_rows AS MATERIALIZED (
  SELECT g.id AS id, g.idx AS idx, g.month_end AS month_end, g.first_payment_date AS first_payment_date,
         g.term_months AS term_months, {covered} AS covered
  FROM grid g
  WHERE g.counted = 1 AND (g.closed_on IS NULL OR g.closed_on > g.month_end)
),
days AS MATERIALIZED (
  SELECT c.id AS id, c.idx AS idx, {days} AS dpd FROM open_rows c
),
rolled AS (
  SELECT d.idx AS idx, {_bucket_case('d.dpd')} AS bucket, d.id AS id FROM days d
),
paired AS (
  SELECT r.idx AS idx, r.bucket AS bucket,
         LAG(r.bucket) OVER (PARTITION BY r.id ORDER BY r.idx) AS previous,
         LAG(r.idx) OVER (PARTITION BY r.id ORDER BY r.idx) AS previous_idx
  FROM rolled r
)
SELECT idx, bucket, CASE WHEN previous_idx = idx - 1 THEN previous ELSE NULL END AS previous,
       COUNT(*) AS contracts
FROM paired
GROUP BY idx, bucket, CASE WHEN previous_idx = idx - 1 THEN previous ELSE NULL END
"""
    rows = await fetch(sql, statement)
    at: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pairs: dict[tuple[int, str, str], int] = defaultdict(int)
    for row in rows:
        idx, bucket, count = int(row["idx"]), row["bucket"], int(row["contracts"])
        at[idx][bucket] += count
        if row["previous"] is not None:
            pairs[(idx, row["previous"], bucket)] += count
    months = []
    for idx, day in enumerate(ends):
        total = sum(at[idx].values())
        months.append(DelinquencyMonth(day, total, [BucketFigure(b, at[idx][b], rate(at[idx][b], total))
                                                    for b in BUCKETS]))
    rolls = []
    for idx in range(1, len(ends)):
        for source in BUCKETS:
            base = sum(pairs[(idx, source, b)] for b in BUCKETS)
            if not base:
                continue
            for target in BUCKETS:
                count = pairs[(idx, source, target)]
                rolls.append(RollRate(ends[idx], source, target, count, rate(count, base)))
    return DelinquencyReport(months=months, roll_rates=rolls)
