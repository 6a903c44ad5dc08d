"""The analytics filter, the contract scope shared by every report, and SQL helpers per dialect.

Parameters are numbered ($1 on PostgreSQL, ?1 on SQLite) so a statement can be built in any order.
Dates that the code itself generates (month ends) are written as literals; everything the caller
gives is a parameter.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from models import Contract
from models.enums import ContractKind
from resolvers.errors import ClientFacingError, ErrorCode

UNKNOWN_TIER = "UNKNOWN"
DEFAULT_MONTHS = 12
MAX_MONTHS = 36
MAX_TEXT = 64
RATE_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class AnalyticsFilter:
    """A date range (inclusive) and optional filters; `None` means all."""

    start: date
    end: date
    product: str | None = None  # LOAN or LEASE
    dealer_code: str | None = None
    region: str | None = None  # the dealership's state, two letters
    credit_tier: str | None = None  # the decision's rate tier, or UNKNOWN

    def as_json(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "product": self.product,
                "dealer_code": self.dealer_code, "region": self.region, "credit_tier": self.credit_tier}

    @classmethod
    def from_json(cls, data: dict) -> AnalyticsFilter:
        return checked_filter(start=date.fromisoformat(data["start"]), end=date.fromisoformat(data["end"]),
                              product=data.get("product"), dealer_code=data.get("dealer_code"),
                              region=data.get("region"), credit_tier=data.get("credit_tier"), today=None)


def _text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise ClientFacingError(ErrorCode.INVALID, f"{name} must be 1 to {MAX_TEXT} characters.")
    return value


def checked_filter(*, start: date | None, end: date | None, product: str | None = None,
                   dealer_code: str | None = None, region: str | None = None, credit_tier: str | None = None,
                   today: date | None) -> AnalyticsFilter:
    """The filter with defaults (the 12 months up to today) and limits (at most 36 months)."""
    if end is None:
        if today is None:
            raise ClientFacingError(ErrorCode.INVALID, "The range needs an end date.")
        end = today
    if start is None:
        start = first_of_month(add_months(end, -(DEFAULT_MONTHS - 1)))
    if start > end:
        raise ClientFacingError(ErrorCode.INVALID, "The range starts after it ends.")
    if month_index(end) - month_index(start) >= MAX_MONTHS:
        raise ClientFacingError(ErrorCode.INVALID, f"The range spans at most {MAX_MONTHS} months.")
    if product is not None and product not in {k.value for k in ContractKind}:
        raise ClientFacingError(ErrorCode.INVALID, "Unknown product.")
    region = _text("region", region)
    return AnalyticsFilter(start=start, end=end, product=product, dealer_code=_text("dealerCode", dealer_code),
                           region=region.upper() if region else None,
                           credit_tier=_text("creditTier", credit_tier))


# -- dates ---------------------------------------------------------------------------------------

def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = month_index(day) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from `start`'s to `end`'s that is on or before `end`."""
    ends, day = [], month_end(start)
    while day <= end:
        ends.append(day)
        day = month_end(day + timedelta(days=1))
    return ends


# -- numbers ---------------------------------------------------------------------------------------

def rate(part: int, whole: int) -> Decimal:
    """part / whole as a fraction to 4 places (0 when there is no whole)."""
    if not whole:
        return Decimal("0.0000")
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, ROUND_HALF_UP)


def cents_to_money(value: Any) -> Decimal:
    """A SUM of integer cents (int on SQLite, numeric on PostgreSQL; None for no rows) as Decimal money."""
    return (Decimal(int(value or 0)) / 100).quantize(CENTS)


def decimal_or_none(value: Any, places: Decimal = CENTS) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, ROUND_HALF_UP)


# -- SQL -------------------------------------------------------------------------------------------

class Sql:
    """Numbered parameters and the few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        if isinstance(value, date) and not self.postgres:
            value = value.isoformat()
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else f"?{len(self.params)}"

    def date_param(self, value: date) -> str:
        mark = self.param(value)
        return f"{mark}::date" if self.postgres else mark

    def day_after(self, value: date) -> str:
        """An instant bound: instants before the start of the day after `value` are in the range."""
        following = value + timedelta(days=1)
        if self.postgres:
            return f"{self.param(following)}::date::timestamptz"
        return self.param(following.isoformat())

    def day_start(self, value: date) -> str:
        if self.postgres:
            return f"{self.param(value)}::date::timestamptz"
        return self.param(value.isoformat())

    def date_literal(self, value: date) -> str:
        return f"DATE '{value.isoformat()}'" if self.postgres else f"'{value.isoformat()}'"

    def month_number(self, column: str) -> str:
        """year * 12 + month - 1 of a date column."""
        if self.postgres:
            return f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)"
        return f"(CAST(strftime('%Y', {column}) AS INTEGER) * 12 + CAST(strftime('%m', {column}) AS INTEGER) - 1)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"

    def add_months(self, column: str, months: str) -> str:
        """`column` (a date) moved by `months` whole months, day kept and clamped to the month's end
        (finance.loan.add_months)."""
        if self.postgres:
            return f"CAST({column} + make_interval(months => CAST({months} AS INTEGER)) AS date)"
        first = f"date({column}, 'start of month', '+' || ({months}) || ' months')"
        last_day = f"CAST(strftime('%d', date({first}, '+1 month', '-1 day')) AS INTEGER)"
        day = f"CAST(strftime('%d', {column}) AS INTEGER)"
        return f"date({first}, '+' || (MIN({day}, {last_day}) - 1) || ' days')"

    def days_between(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def vintage(self, column: str, quarterly: bool) -> str:
        if self.postgres:
            if quarterly:
                return f"(to_char({column}, 'YYYY') || '-Q' || to_char({column}, 'Q'))"
            return f"to_char({column}, 'YYYY-MM')"
        if quarterly:
            return (f"(strftime('%Y', {column}) || '-Q' || "
                    f"((CAST(strftime('%m', {column}) AS INTEGER) + 2) / 3))")
        return f"strftime('%Y-%m', {column})"


def tier_expression() -> str:
    return f"COALESCE(NULLIF(t.tier, ''), '{UNKNOWN_TIER}')"


# The credit tier of a contract that came through origination: the rate tier of its application's
# latest decision that named one. Contracts booked any other way are UNKNOWN.
TIER_SUBQUERY = """
SELECT f.contract_id AS contract_id, d.rate_tier AS tier
FROM fundings f JOIN application_decisions d ON d.application_id = f.application_id
WHERE d.id = (SELECT MAX(d2.id) FROM application_decisions d2
              WHERE d2.application_id = f.application_id AND d2.rate_tier <> '')
"""


def contract_scope(sql: Sql, flt: AnalyticsFilter) -> str:
    """SELECT of the contracts the filter admits, with their dealer, region and credit tier (no dates:
    each report applies its own)."""
    where = ["1 = 1"]
    if flt.product:
        where.append(f"c.kind = {sql.param(flt.product)}")
    if flt.dealer_code:
        where.append(f"dl.code = {sql.param(flt.dealer_code)}")
    if flt.region:
        where.append(f"dl.state = {sql.param(flt.region)}")
    if flt.credit_tier:
        where.append(f"{tier_expression()} = {sql.param(flt.credit_tier)}")
    return f"""
SELECT c.id AS id, c.kind AS kind, c.status AS status, c.contract_date AS contract_date,
       c.first_payment_date AS first_payment_date, c.maturity_date AS maturity_date, c.closed_on AS closed_on,
       c.term_months AS term_months, c.amount_financed AS amount_financed,
       c.scheduled_payment AS scheduled_payment, c.apr AS apr, c.customer_id AS customer_id,
       c.co_customer_id AS co_customer_id, dl.code AS dealer_code, dl.name AS dealer_name,
       dl.state AS region, {tier_expression()} AS tier
FROM contracts c
JOIN dealerships dl ON dl.id = c.dealership_id
LEFT JOIN ({TIER_SUBQUERY}) t ON t.contract_id = c.id
WHERE {' AND '.join(where)}"""


async def fetch(sql: Sql, statement: str) -> list[dict]:
    connection = Contract._meta.db
    return await connection.execute_query_dict(statement, sql.params)


def new_sql() -> Sql:
    return Sql(Contract._meta.db.capabilities.dialect)
