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

Month ends are recorded once, "as reported", like a month-end file sent to a credit bureau: the first
time a closed month end (one before today's month) is reported, or when the daily close of the 1st
closes it, it is derived for every contract and stored in `delinquency_month_ends`, with a marker in
`delinquency_month_end_runs`. Reports then read the recorded rows. An entry back-dated into a recorded
month later (a returned payment, a correction) does not rewrite it: the month stays as it was first
recorded, and the later months show the change. A month end that is not closed yet (today is the last
day of the month) is derived from the ledger on every request and never recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from finance.due import BUCKETS
from models import DelinquencyMonthEndRun
from resolvers.analytics.scope import (
    AnalyticsFilter,
    Sql,
    contract_scope,
    fetch,
    first_of_month,
    month_ends,
    month_index,
    new_sql,
    rate,
)

SOURCE = ("derived from the ledger at each month end (the delinquency snapshot table keeps only the latest "
          "state) and recorded once, as reported: a closed month end is kept as it was when first reported or "
          "closed, like a month-end file sent to a credit bureau, and an entry back-dated into it later does not "
          "rewrite it; payment-plan changes are not applied and a loan's last installment is taken at the level "
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


def _derivation(sql: Sql, ends: list[date]) -> str:
    """CTEs (after a `scope` CTE) ending in `derived(id, month_end, bucket, dpd)`: each contract of the
    scope open at each of `ends`, derived from the ledger. A month end's idx is its month number from
    the first of `ends` (they need not be consecutive)."""
    first = month_index(ends[0])
    values = ", ".join(f"({month_index(day) - first}, {sql.date_literal(day)})" for day in ends)
    covered = ("CASE WHEN g.scheduled_payment > 0 THEN CAST(" + sql.greatest("g.credited", "0")
               + " AS BIGINT) / g.scheduled_payment ELSE g.term_months END")
    due = sql.add_months("c.first_payment_date", "c.covered")
    days = (f"CASE WHEN c.covered >= c.term_months THEN 0 WHEN {due} < c.month_end "
            f"THEN {sql.days_between('c.month_end', due)} ELSE 0 END")
    return f"""
derive_ends(idx, month_end) AS (VALUES {values}),
events AS (
  SELECT l.contract_id AS id,
         {sql.greatest(sql.month_number('l.effective_date') + f' - {first}', '0')} AS idx,
         CASE WHEN l.kind = 'PAYMENT_REVERSAL' THEN l.fees - l.amount ELSE l.amount - l.fees END AS credit,
         0 AS counted, NULL AS month_end, NULL AS closed_on, NULL AS first_payment_date, NULL AS term_months,
         NULL AS scheduled_payment
  FROM scope s JOIN ledger_entries l ON l.contract_id = s.id
  WHERE l.kind IN ('PAYMENT', 'PAYMENT_REVERSAL', 'PAYOFF_WAIVER')
    AND l.effective_date <= {sql.date_literal(max(ends))}
  UNION ALL
  SELECT s.id, e.idx, 0, 1, e.month_end, s.closed_on, s.first_payment_date, s.term_months, s.scheduled_payment
  FROM scope s CROSS JOIN derive_ends e
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
  SELECT g.id AS id, g.month_end AS month_end, g.first_payment_date AS first_payment_date,
         g.term_months AS term_months, {covered} AS covered
  FROM grid g
  WHERE g.counted = 1 AND (g.closed_on IS NULL OR g.closed_on > g.month_end)
),
days AS MATERIALIZED (
  SELECT c.id AS id, c.month_end AS month_end, {days} AS dpd FROM open_rows c
),
derived AS (
  SELECT d.id AS id, d.month_end AS month_end, {_bucket_case('d.dpd')} AS bucket, d.dpd AS dpd FROM days d
)"""


def closed_month_ends(ends: list[date], today: date) -> list[date]:
    """The month ends of `ends` before today's month: closed, so recorded rather than derived."""
    return [day for day in ends if day < first_of_month(today)]


async def record_month_ends(ends: list[date], today: date) -> list[date]:
    """Record every contract's delinquency at the closed month ends of `ends` not recorded yet (once:
    a recorded month end is never rewritten). Returns the month ends recorded by this call."""
    wanted = sorted(set(closed_month_ends(ends, today)))
    if not wanted:
        return []
    done = set(await DelinquencyMonthEndRun.filter(month_end__in=wanted).values_list("month_end", flat=True))
    missing = [day for day in wanted if day not in done]
    if not missing:
        return []
    sql = new_sql()
    everything = AnalyticsFilter(start=missing[0], end=missing[-1])
    scope = contract_scope(sql, everything)
    statement = f"""
WITH scope AS ({scope}),{_derivation(sql, missing)}
INSERT INTO delinquency_month_ends (contract_id, month_end, bucket, days_past_due)
SELECT id, month_end, bucket, dpd FROM derived WHERE 1 = 1
ON CONFLICT DO NOTHING"""
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        await connection.execute_query(statement, sql.params)
        await DelinquencyMonthEndRun.bulk_create([DelinquencyMonthEndRun(month_end=day, recorded_at=now)
                                                  for day in missing], ignore_conflicts=True, using_db=connection)
    return missing


async def record_month_closed_by(day: date) -> None:
    """The daily close of the 1st records the month end it closes (the day before)."""
    if day.day == 1:
        await record_month_ends([day - timedelta(days=1)], day)


async def delinquency_report(flt: AnalyticsFilter, today: date) -> DelinquencyReport:
    ends = month_ends(flt.start, min(flt.end, today))
    if not ends:
        return DelinquencyReport(months=[], roll_rates=[])
    await record_month_ends(ends, today)
    closed = closed_month_ends(ends, today)
    open_ends = ends[len(closed):]  # at most the last one, when today is a month end
    sql = new_sql()
    scope = contract_scope(sql, flt)
    first = month_index(ends[0])
    values = ", ".join(f"({month_index(day) - first}, {sql.date_literal(day)})" for day in ends)
    parts = []
    if closed:
        parts.append(f"""
  SELECT e.idx AS idx, m.bucket AS bucket, m.contract_id AS id
  FROM ends e JOIN delinquency_month_ends m ON m.month_end = e.month_end JOIN scope s ON s.id = m.contract_id
  WHERE e.month_end <= {sql.date_literal(closed[-1])}""")
    if open_ends:
        parts.append("""
  SELECT e.idx AS idx, d.bucket AS bucket, d.id AS id FROM derived d JOIN ends e ON e.month_end = d.month_end""")
    derivation = _derivation(sql, open_ends) + "," if open_ends else ""
    statement = f"""
WITH scope AS ({scope}),
ends(idx, month_end) AS (VALUES {values}),{derivation}
rolled AS ({" UNION ALL ".join(parts)}
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
