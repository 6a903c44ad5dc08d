"""CSV exports of analytics reports behind short-lived signed links.

A report's `csvUrl` is minted through the API for the analyst who asked: it names the report and
its filter (base64url JSON, not a secret: the figures are aggregates), the analyst's user id and an
expiry 5 minutes ahead, bound together by an HMAC under the app's secret key. Following it runs the
report again with that filter and answers CSV, only while the link is genuine and unexpired and its
user is still an active ANALYST. Every failure is the same 404 (graph/analytics/export.py).

Text cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with '.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from auth import signed_links
from models import User
from models.enums import Role
from resolvers.analytics.adoption import adoption_report
from resolvers.analytics.balances import VINTAGE_MONTH, VINTAGE_QUARTER, balance_report
from resolvers.analytics.delinquency import delinquency_report
from resolvers.analytics.originations import origination_report
from resolvers.analytics.outcomes import outcome_report
from resolvers.analytics.scope import AnalyticsFilter
from resolvers.errors import ClientFacingError
from service.container import Services

EXPORT_TTL = timedelta(minutes=5)
SIGNATURE_PURPOSE = "analytics-export"
EXPORT_PATH = "/analytics-exports"
MAX_PAYLOAD = 1024


async def _balances(flt: AnalyticsFilter, options: dict, today: date):
    vintage = options.get("vintage_by", VINTAGE_MONTH)
    if vintage not in (VINTAGE_MONTH, VINTAGE_QUARTER):
        raise ValueError("vintage")
    return await balance_report(flt, vintage)


REPORTS: dict[str, Callable[[AnalyticsFilter, dict, date], Awaitable[Any]]] = {
    "delinquency": lambda flt, options, today: delinquency_report(flt, today),
    "originations": lambda flt, options, today: origination_report(flt),
    "balances": _balances,
    "outcomes": lambda flt, options, today: outcome_report(flt),
    "adoption": lambda flt, options, today: adoption_report(flt),
}


def _payload(report: str, flt: AnalyticsFilter, options: dict) -> str:
    data = json.dumps({"report": report, "filter": flt.as_json(), "options": options}, sort_keys=True,
                      separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def signed_csv_path(services: Services, report: str, flt: AnalyticsFilter, user_id: int,
                    options: dict | None = None) -> str:
    """A link to `report` with `flt` as CSV, valid EXPORT_TTL, for `user_id` only."""
    query = _payload(report, flt, options or {})
    signed = signed_links.signed_query(services.settings.secret_key, SIGNATURE_PURPOSE, query, user_id,
                                       clock=services.clock, ttl=EXPORT_TTL)
    return f"{EXPORT_PATH}/{report}.csv?" + urlencode({"q": query}) + "&" + signed


@dataclass(frozen=True)
class CsvExport:
    filename: str
    content: bytes


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def render_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


async def export_for_signed_link(services: Services, report: str, query: str, expires: str, user_id: str,
                                 signature: str) -> CsvExport | None:
    """The CSV when the link is genuine, unexpired and its user is still an active analyst; else None."""
    if report not in REPORTS or len(query) > MAX_PAYLOAD:
        return None
    signed_for = signed_links.verified_user_id(services.settings.secret_key, SIGNATURE_PURPOSE, query, expires,
                                               user_id, signature, clock=services.clock, ttl=EXPORT_TTL)
    if signed_for is None:
        return None
    user = await User.get_or_none(id=signed_for)
    if user is None or not user.is_active or user.role != Role.ANALYST:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(query + "=" * (-len(query) % 4)))
        if data.get("report") != report:
            return None
        flt = AnalyticsFilter.from_json(data["filter"])
        result = await REPORTS[report](flt, data.get("options") or {}, services.clock.today())
    except (ValueError, KeyError, TypeError, binascii.Error, ClientFacingError):
        return None
    header, rows = result.csv_rows()
    return CsvExport(filename=f"{report}-{flt.start.isoformat()}-{flt.end.isoformat()}.csv",
                     content=render_csv(header, rows))
