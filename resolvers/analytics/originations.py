"""Originations by dealer and credit tier: contracts booked in the range (count, amount financed,
average APR of loans), and the applications submitted in the range with the outcome of their latest
decision (approval, decline and counter-offer rates over the decided ones).

An application's tier is the rate tier of its latest decision that named one (UNKNOWN otherwise); a
contract's is its application's, for contracts that came through origination. Decided means the
latest decision is APPROVED, APPROVED_WITH_CONDITIONS, COUNTER_OFFER or DECLINED (a REFERRED or
DOCUMENTS_REQUESTED application is still open)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from resolvers.analytics.scope import (
    UNKNOWN_TIER,
    AnalyticsFilter,
    cents_to_money,
    contract_scope,
    decimal_or_none,
    fetch,
    new_sql,
    rate,
)

APR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class OriginationRow:
    dealer_code: str
    dealer_name: str
    region: str
    credit_tier: str
    contracts: int
    amount_financed: Decimal
    average_apr: Decimal | None
    applications: int
    decided: int
    approved: int
    declined: int
    counter_offered: int
    approval_rate: Decimal
    decline_rate: Decimal
    counter_offer_rate: Decimal


@dataclass(frozen=True)
class OriginationReport:
    rows: list[OriginationRow]

    def csv_rows(self) -> tuple[list[str], list[list]]:
        header = ["dealer_code", "dealer_name", "region", "credit_tier", "contracts", "amount_financed",
                  "average_apr", "applications", "decided", "approved", "declined", "counter_offered",
                  "approval_rate", "decline_rate", "counter_offer_rate"]
        return header, [[getattr(row, name) for name in header] for row in self.rows]


async def _contracts(flt: AnalyticsFilter) -> list[dict]:
    sql = new_sql()
    scope = contract_scope(sql, flt)
    apr = "s.apr" if sql.postgres else "CAST(s.apr AS REAL)"
    statement = f"""
SELECT s.dealer_code AS dealer_code, s.dealer_name AS dealer_name, s.region AS region, s.tier AS tier,
       COUNT(*) AS contracts, SUM(s.amount_financed) AS amount,
       AVG(CASE WHEN s.kind = 'LOAN' THEN {apr} ELSE NULL END) AS average_apr
FROM ({scope}) s
WHERE s.contract_date >= {sql.date_param(flt.start)} AND s.contract_date <= {sql.date_param(flt.end)}
GROUP BY s.dealer_code, s.dealer_name, s.region, s.tier"""
    return await fetch(sql, statement)


async def _applications(flt: AnalyticsFilter) -> list[dict]:
    sql = new_sql()
    tier = f"COALESCE(NULLIF(tt.rate_tier, ''), '{UNKNOWN_TIER}')"
    where = [f"a.submitted_at >= {sql.day_start(flt.start)}", f"a.submitted_at < {sql.day_after(flt.end)}"]
    if flt.product:
        where.append(f"a.product = {sql.param(flt.product)}")
    if flt.dealer_code:
        where.append(f"dl.code = {sql.param(flt.dealer_code)}")
    if flt.region:
        where.append(f"dl.state = {sql.param(flt.region)}")
    if flt.credit_tier:
        where.append(f"{tier} = {sql.param(flt.credit_tier)}")
    statement = f"""
SELECT dl.code AS dealer_code, dl.name AS dealer_name, dl.state AS region, {tier} AS tier,
       COUNT(*) AS applications,
       SUM(CASE WHEN ld.outcome IN ('APPROVED', 'APPROVED_WITH_CONDITIONS', 'COUNTER_OFFER', 'DECLINED')
                THEN 1 ELSE 0 END) AS decided,
       SUM(CASE WHEN ld.outcome IN ('APPROVED', 'APPROVED_WITH_CONDITIONS') THEN 1 ELSE 0 END) AS approved,
       SUM(CASE WHEN ld.outcome = 'DECLINED' THEN 1 ELSE 0 END) AS declined,
       SUM(CASE WHEN ld.outcome = 'COUNTER_OFFER' THEN 1 ELSE 0 END) AS countered
FROM credit_applications a
JOIN dealerships dl ON dl.id = a.dealership_id
LEFT JOIN application_decisions ld
  ON ld.id = (SELECT MAX(d.id) FROM application_decisions d WHERE d.application_id = a.id)
LEFT JOIN application_decisions tt
  ON tt.id = (SELECT MAX(d.id) FROM application_decisions d WHERE d.application_id = a.id AND d.rate_tier <> '')
WHERE {' AND '.join(where)}
GROUP BY dl.code, dl.name, dl.state, {tier}"""
    return await fetch(sql, statement)


async def origination_report(flt: AnalyticsFilter) -> OriginationReport:
    merged: dict[tuple[str, str], dict] = {}

    def slot(row: dict) -> dict:
        key = (row["dealer_code"], row["tier"])
        return merged.setdefault(key, {"dealer_name": row["dealer_name"], "region": row["region"], "contracts": 0,
                                       "amount": 0, "average_apr": None, "applications": 0, "decided": 0,
                                       "approved": 0, "declined": 0, "countered": 0})

    for row in await _contracts(flt):
        slot(row).update(contracts=int(row["contracts"]), amount=row["amount"], average_apr=row["average_apr"])
    for row in await _applications(flt):
        slot(row).update({name: int(row[name] or 0) for name in
                          ("applications", "decided", "approved", "declined", "countered")})
    rows = []
    for (code, tier), v in sorted(merged.items()):
        rows.append(OriginationRow(
            dealer_code=code, dealer_name=v["dealer_name"], region=v["region"], credit_tier=tier,
            contracts=v["contracts"], amount_financed=cents_to_money(v["amount"]),
            average_apr=decimal_or_none(v["average_apr"], APR_PLACES), applications=v["applications"],
            decided=v["decided"], approved=v["approved"], declined=v["declined"], counter_offered=v["countered"],
            approval_rate=rate(v["approved"], v["decided"]), decline_rate=rate(v["declined"], v["decided"]),
            counter_offer_rate=rate(v["countered"], v["decided"])))
    return OriginationReport(rows=rows)
