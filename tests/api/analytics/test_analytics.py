"""Portfolio analytics through GraphQL: every figure equals an independent count over a small
generated portfolio (tests/api/analytics/portfolio.py), computed here with the servicing engine's own
functions (finance.due) or plain Python over the rows; no customer-identifying field is reachable from
the analytics types; other roles are refused; CSV links work for the analyst they were signed for only,
and expire."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType

from auth.sessions import start_session
from finance.due import BUCKETS, credits_from_events, due_status
from graph.schema import build_schema
from models import LedgerEntry, User
from models.enums import Role, SessionKind
from resolvers.analytics.scope import month_ends
from resolvers.servicing.positions import installments_of
from tests import factories
from tests.api.analytics.portfolio import build

D = Decimal
START, END = date(2026, 1, 1), date(2026, 10, 31)
FILTER = {"from": START.isoformat(), "to": END.isoformat()}


async def sign_in(client, services, user: User) -> None:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="analytics-test")
    client.token = issued.token


@pytest.fixture
async def portfolio(db, services, client):
    p = await build(services)
    await sign_in(client, services, p.analyst)
    return p


def rate(part: int, whole: int) -> str:
    return str((D(part) / D(whole)).quantize(D("0.0001"))) if whole else "0.0000"


def is_open(contract, day: date) -> bool:
    return contract.contract_date <= day and (contract.closed_on is None or contract.closed_on > day)


async def expected_buckets(contracts, day: date) -> dict[int, str]:
    """contract id -> bucket at `day`, by finance.due over the contract's ledger (the servicing engine)."""
    found = {}
    for contract in contracts:
        if not is_open(contract, day):
            continue
        rows = await LedgerEntry.filter(contract_id=contract.id, effective_date__lte=day)
        found[contract.id] = due_status(installments_of(contract), credits_from_events(rows), day,
                                        contract.grace_days).bucket
    return found


DELINQUENCY = """query($f: AnalyticsFilterInput) { analytics { delinquency(filter: $f) {
  source csvUrl scope { from to }
  months { monthEnd contracts buckets { bucket contracts share } }
  rollRates { monthEnd fromBucket toBucket contracts rate } } } }"""


async def test_delinquency_by_bucket_and_roll_rates_equal_the_engine(client, portfolio):
    data = (await client.execute(DELINQUENCY, {"f": FILTER}))["analytics"]["delinquency"]
    assert "ledger" in data["source"]
    ends = month_ends(START, END)
    assert [m["monthEnd"] for m in data["months"]] == [d.isoformat() for d in ends]
    by_month = {}
    seen_buckets = set()
    for day, month in zip(ends, data["months"]):
        buckets = await expected_buckets(portfolio.contracts, day)
        by_month[day] = buckets
        counts = Counter(buckets.values())
        seen_buckets |= set(counts)
        assert month["contracts"] == len(buckets), day
        assert {b["bucket"]: b["contracts"] for b in month["buckets"]} == {b: counts.get(b, 0) for b in BUCKETS}, day
        assert {b["bucket"]: b["share"] for b in month["buckets"]} == {
            b: rate(counts.get(b, 0), len(buckets)) for b in BUCKETS}
    assert seen_buckets == set(BUCKETS)  # the portfolio exercises every bucket
    expected_rolls = {}
    for before, after in itertools.pairwise(ends):
        pairs = Counter((by_month[before][cid], by_month[after][cid]) for cid in by_month[after] if cid in by_month[before])
        for source in BUCKETS:
            base = sum(n for (a, _), n in pairs.items() if a == source)
            for target in BUCKETS if base else ():
                expected_rolls[(after.isoformat(), source, target)] = (pairs[(source, target)],
                                                                       rate(pairs[(source, target)], base))
    got = {(r["monthEnd"], r["fromBucket"], r["toBucket"]): (r["contracts"], r["rate"]) for r in data["rollRates"]}
    assert got == expected_rolls
    assert any(k[1] != "CURRENT" and k[2] == "CURRENT" and v[0] for k, v in got.items())  # a cure is seen


async def test_delinquency_filters_by_product_dealer_region_and_tier(client, portfolio):
    day = date(2026, 8, 31)
    cases = {
        (("product", "LEASE"),): lambda c: c.kind == "LEASE",
        (("dealerCode", "AZ01"),): lambda c: c.dealership_id == portfolio.dealers["AZ01"].id,
        (("region", "tx"),): lambda c: c.dealership_id == portfolio.dealers["TX01"].id,
        (("creditTier", "A"),): lambda c: portfolio.tiers.get(c.id) == "A",
        (("creditTier", "UNKNOWN"), ("product", "LOAN")): lambda c: c.id not in portfolio.tiers and c.kind == "LOAN",
    }
    for extra, keep in cases.items():
        wanted = [c for c in portfolio.contracts if keep(c)]
        counts = Counter((await expected_buckets(wanted, day)).values())
        data = await client.execute(DELINQUENCY, {"f": {"from": "2026-08-01", "to": "2026-08-31", **dict(extra)}})
        month = data["analytics"]["delinquency"]["months"][0]
        assert {b["bucket"]: b["contracts"] for b in month["buckets"]} == {b: counts.get(b, 0) for b in BUCKETS}, extra


ORIGINATIONS = """query($f: AnalyticsFilterInput) { analytics { originations(filter: $f) { csvUrl rows {
  dealerCode dealerName region creditTier contracts amountFinanced { amount } averageApr applications decided
  approved declined counterOffered approvalRate declineRate counterOfferRate } } } }"""


async def test_originations_by_dealer_and_tier(client, services, portfolio):
    start, end = date(2026, 1, 1), services.clock.today()
    data = await client.execute(ORIGINATIONS, {"f": {"from": start.isoformat(), "to": end.isoformat()}})
    rows = {(r["dealerCode"], r["creditTier"]): r for r in data["analytics"]["originations"]["rows"]}
    code_of = {d.id: code for code, d in portfolio.dealers.items()}
    expected = defaultdict(lambda: {"contracts": 0, "amount": D(0), "aprs": [], "apps": 0, "decided": 0,
                                    "approved": 0, "declined": 0, "countered": 0})
    for c in portfolio.contracts:
        if start <= c.contract_date <= end:
            slot = expected[(code_of[c.dealership_id], portfolio.tiers.get(c.id, "UNKNOWN"))]
            slot["contracts"] += 1
            slot["amount"] += c.amount_financed
            if c.kind == "LOAN":
                slot["aprs"].append(c.apr)
    for application, outcome, tier in portfolio.applications:
        slot = expected[(code_of[application.dealership_id], tier)]
        slot["apps"] += 1
        slot["decided"] += outcome in ("APPROVED", "APPROVED_WITH_CONDITIONS", "DECLINED", "COUNTER_OFFER")
        slot["approved"] += outcome in ("APPROVED", "APPROVED_WITH_CONDITIONS")
        slot["declined"] += outcome == "DECLINED"
        slot["countered"] += outcome == "COUNTER_OFFER"
    # The funded applications (submitted now too) count as applications of their tier.
    for cid, tier in portfolio.tiers.items():
        contract = next(c for c in portfolio.contracts if c.id == cid)
        slot = expected[(code_of[contract.dealership_id], tier)]
        slot["apps"] += 1
        slot["decided"] += 1
        slot["approved"] += 1
    assert set(rows) == set(expected)
    for key, e in expected.items():
        row = rows[key]
        average = (sum(e["aprs"]) / len(e["aprs"])).quantize(D("0.0001")) if e["aprs"] else None
        assert (row["contracts"], D(row["amountFinanced"]["amount"])) == (e["contracts"], e["amount"]), key
        assert (D(row["averageApr"]) if row["averageApr"] else None) == average, key
        assert (row["applications"], row["decided"], row["approved"], row["declined"], row["counterOffered"]) == (
            e["apps"], e["decided"], e["approved"], e["declined"], e["countered"]), key
        assert row["approvalRate"] == rate(e["approved"], e["decided"])
        assert row["declineRate"] == rate(e["declined"], e["decided"])
        assert row["counterOfferRate"] == rate(e["countered"], e["decided"])
    assert rows[("AZ01", "C")]["dealerName"] == "=Desert Autos" and rows[("AZ01", "C")]["region"] == "AZ"


BALANCES = """query($f: AnalyticsFilterInput, $v: VintagePeriod!) { analytics { outstandingBalances(filter: $f,
  vintageBy: $v) { vintageBy csvUrl rows { product vintage contracts amountFinanced { amount }
  outstanding { amount } } } } }"""


async def test_outstanding_balance_by_product_and_vintage(client, portfolio):
    as_of = date(2026, 8, 31)
    for period in ("MONTH", "QUARTER"):
        data = await client.execute(BALANCES, {"f": {"from": "2026-01-01", "to": as_of.isoformat()}, "v": period})
        rows = {(r["product"], r["vintage"]): r for r in data["analytics"]["outstandingBalances"]["rows"]}
        expected = defaultdict(lambda: [0, D(0), D(0)])
        for c in portfolio.contracts:
            if not is_open(c, as_of):
                continue
            entries = await LedgerEntry.filter(contract_id=c.id, effective_date__lte=as_of)
            repaid = sum((-e.principal if e.kind == "PAYMENT_REVERSAL" else e.principal for e in entries), D(0))
            signed = c.contract_date
            vintage = (f"{signed.year}-{signed.month:02d}" if period == "MONTH"
                       else f"{signed.year}-Q{(signed.month + 2) // 3}")
            slot = expected[(c.kind.value if hasattr(c.kind, "value") else c.kind, vintage)]
            slot[0] += 1
            slot[1] += c.amount_financed
            slot[2] += c.amount_financed - repaid
        assert {k: (r["contracts"], D(r["amountFinanced"]["amount"]), D(r["outstanding"]["amount"]))
                for k, r in rows.items()} == {k: tuple(v) for k, v in expected.items()}


OUTCOMES = """query($f: AnalyticsFilterInput) { analytics { prepaymentsAndChargeOffs(filter: $f) { csvUrl rows {
  product exposed prepaid chargedOff prepaymentRate chargeOffRate chargedOffPrincipal { amount } } } } }"""


async def test_prepayment_and_charge_off_rates(client, portfolio):
    data = await client.execute(OUTCOMES, {"f": FILTER})
    rows = {r["product"]: r for r in data["analytics"]["prepaymentsAndChargeOffs"]["rows"]}
    for product in ("LOAN", "LEASE"):
        exposed = [c for c in portfolio.contracts if c.kind == product and c.contract_date <= END
                   and (c.closed_on is None or c.closed_on >= START)]
        in_range = [c for c in exposed if c.closed_on and START <= c.closed_on <= END]
        prepaid = [c for c in in_range if c.status == "PAID_OFF" and c.closed_on < c.maturity_date]
        charged = [c for c in in_range if c.status == "CHARGED_OFF"]
        lost = D(0)
        for c in charged:
            entries = await LedgerEntry.filter(contract_id=c.id, effective_date__lte=c.closed_on)
            lost += c.amount_financed - sum((e.principal for e in entries), D(0))
        row = rows[product]
        assert (row["exposed"], row["prepaid"], row["chargedOff"]) == (len(exposed), len(prepaid), len(charged))
        assert row["prepaymentRate"] == rate(len(prepaid), len(exposed))
        assert row["chargeOffRate"] == rate(len(charged), len(exposed))
        assert D(row["chargedOffPrincipal"]["amount"]) == lost
    assert rows["LOAN"]["prepaid"] == 1 and rows["LOAN"]["chargedOff"] == 1  # the matured one is not a prepayment


ADOPTION = """query($f: AnalyticsFilterInput) { analytics { adoption(filter: $f) { csvUrl activeContracts
  contractsWithAutopay autopayRate customers customersWithLogin portalRate customersSignedIn signedInRate } } }"""


async def test_autopay_and_portal_adoption(client, services, portfolio):
    start, end = date(2026, 1, 1), services.clock.today()
    data = (await client.execute(ADOPTION, {"f": {"from": start.isoformat(), "to": end.isoformat()}}))
    got = data["analytics"]["adoption"]
    active = [c for c in portfolio.contracts if c.status == "ACTIVE"]
    from models import AutopayPlan
    with_plan = {p.contract_id for p in await AutopayPlan.filter(status="ACTIVE")}
    customers = {c.customer_id for c in portfolio.contracts if c.contract_date <= end
                 and (c.closed_on is None or c.closed_on >= start)}
    logins = {u.customer_id: u for u in portfolio.customer_users}
    with_login = [cid for cid in customers if cid in logins]
    signed_in = [cid for cid in with_login if logins[cid] in portfolio.customer_users[:2]]
    assert got["activeContracts"] == len(active)
    assert got["contractsWithAutopay"] == len([c for c in active if c.id in with_plan]) == 2
    assert got["autopayRate"] == rate(2, len(active))
    assert (got["customers"], got["customersWithLogin"], got["customersSignedIn"]) == (
        len(customers), len(with_login), len(signed_in))
    assert got["portalRate"] == rate(len(with_login), len(customers))
    assert got["signedInRate"] == rate(len(signed_in), len(customers))


async def test_a_bad_range_is_invalid(client, portfolio):
    for f in ({"from": "2026-05-01", "to": "2026-04-01"}, {"from": "2023-01-01", "to": "2026-10-31"},
              {"region": ""}):
        body = (await client.post(DELINQUENCY, {"f": f})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID", f


# -- no customer data reachable ---------------------------------------------------------------------

# Names that identify a person, a contract or a vehicle, whatever their type; counts named `customers` or
# `contracts` are fine as Int, never as objects.
IDENTIFYING = {"firstName", "lastName", "name", "fullName", "email", "maskedEmail", "ssn", "ssnLast4", "phone",
               "number", "vin", "contractNumber", "dateOfBirth", "address", "addressLine1", "addressLine2",
               "postalCode", "username", "id", "accountNumberLast4"}
SCALARS = {"Int", "String", "Date", "Decimal", "Boolean"}


def _named(graphql_type):
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def test_no_customer_identifying_field_is_reachable_from_analytics():
    schema = build_schema()._schema
    root = schema.query_type.fields["analytics"]
    seen, todo = set(), [_named(root.type)]
    while todo:
        current = todo.pop()
        if current.name in seen or not isinstance(current, GraphQLObjectType):
            continue
        seen.add(current.name)
        assert not current.interfaces, f"{current.name} implements {current.interfaces}: a Node id"
        for name, field in current.fields.items():
            assert name not in IDENTIFYING, f"{current.name}.{name}"
            target = _named(field.type)
            if isinstance(target, GraphQLObjectType):
                assert target.name not in {"Customer", "Contract", "User", "Vehicle", "Dealership"}, target.name
                todo.append(target)
            else:
                assert target.name in SCALARS or isinstance(target, GraphQLEnumType), f"{current.name}.{name}"
    assert {"AnalyticsDesk", "DelinquencyAnalytics", "OriginationFigure", "AdoptionAnalytics"} <= seen


async def test_an_analyst_gets_null_for_customer_ids(client, portfolio):
    contract = portfolio.contracts[0]
    ids = [factories_gid("Customer", contract.customer_id), factories_gid("Contract", contract.id),
           factories_gid("User", portfolio.customer_users[0].id), factories_gid("Vehicle", contract.vehicle_id)]
    data = await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert data["nodes"] == [None] * len(ids)
    for one in ids:
        assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": one}))["node"] is None


def factories_gid(type_name: str, row_id: int) -> str:
    import base64
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ANALYST] + [None])
async def test_other_roles_are_forbidden(client, services, db, role):
    if role is not None:
        links = {}
        if role == Role.CUSTOMER:
            links["customer"] = await factories.customer(services)
        if role in (Role.DEALER_USER, Role.DEALER_ADMIN):
            links["dealership"] = await factories.dealership()
        await sign_in(client, services, await factories.user(services, f"u-{role.value.lower()}", role, **links))
    body = (await client.post("{ analytics { adoption { customers } } }")).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- CSV exports ------------------------------------------------------------------------------------------

async def _get(client, url: str):
    return await client.http.get(url)


async def test_each_report_exports_as_csv_for_the_analyst_who_asked(client, services, portfolio):
    queries = {"delinquency": (DELINQUENCY, {"f": FILTER}), "originations": (ORIGINATIONS, {"f": FILTER}),
               "outstandingBalances": (BALANCES, {"f": FILTER, "v": "QUARTER"}),
               "prepaymentsAndChargeOffs": (OUTCOMES, {"f": FILTER}), "adoption": (ADOPTION, {"f": FILTER})}
    for name, (query, variables) in queries.items():
        report = (await client.execute(query, variables))["analytics"][name]
        response = await _get(client, report["csvUrl"])
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.reader(io.StringIO(response.text)))
        if name == "originations":
            assert len(rows) == 1 + len(report["rows"])
            by_key = {(r[0], r[3]): r for r in rows[1:]}
            assert by_key[("AZ01", "C")][1] == "'=Desert Autos"  # not a formula in a spreadsheet
            for r in report["rows"]:
                assert by_key[(r["dealerCode"], r["creditTier"])][4] == str(r["contracts"])
        if name == "adoption":
            assert rows[1][0] == str(report["activeContracts"]) and rows[1][2] == report["autopayRate"]
        if name == "outstandingBalances":
            assert [r[2] for r in rows[1:]] == [r["vintage"] for r in report["rows"]]
            assert all("-Q" in r[2] for r in rows[1:])
        if name == "delinquency":
            buckets = [r for r in rows[1:] if r[0] == "bucket"]
            assert len(buckets) == len(report["months"]) * len(BUCKETS)


async def test_a_csv_link_is_bound_to_its_analyst_and_expires(client, services, portfolio):
    url = (await client.execute(ADOPTION, {"f": FILTER}))["analytics"]["adoption"]["csvUrl"]
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["user"] == str(portfolio.analyst.id)
    other = await factories.user(services, "ana2", Role.ANALYST)
    assert (await _get(client, url)).status_code == 200
    # Another analyst's id in the link: refused (the signature binds the user).
    assert (await _get(client, f"{parts.path}?{urlencode({**params, 'user': other.id})}")).status_code == 404
    # Another analyst's own link is theirs; a changed filter or report breaks the signature.
    tampered = params["q"][:-2] + ("AA" if params["q"][-2:] != "AA" else "BB")
    assert (await _get(client, f"{parts.path}?{urlencode({**params, 'q': tampered})}")).status_code == 404
    assert (await _get(client, f"/analytics-exports/outcomes.csv?{parts.query}")).status_code == 404
    # A deactivated analyst's link dies at once; and every link expires after 5 minutes.
    services.clock.advance(timedelta(minutes=4, seconds=59))
    assert (await _get(client, url)).status_code == 200
    services.clock.advance(timedelta(seconds=2))
    assert (await _get(client, url)).status_code == 404
    await sign_in(client, services, other)
    fresh = (await client.execute(ADOPTION, {"f": FILTER}))["analytics"]["adoption"]["csvUrl"]
    assert (await _get(client, fresh)).status_code == 200
    await User.filter(id=other.id).update(is_active=False)
    assert (await _get(client, fresh)).status_code == 404


# -- recorded month ends ----------------------------------------------------------------------------------

def _figures(data: dict) -> tuple:
    report = data["analytics"]["delinquency"]
    return ([(m["monthEnd"], m["contracts"], [(b["bucket"], b["contracts"]) for b in m["buckets"]])
             for m in report["months"]],
            sorted((r["monthEnd"], r["fromBucket"], r["toBucket"], r["contracts"]) for r in report["rollRates"]))


async def test_closed_month_ends_are_recorded_once_and_then_read(client, portfolio, monkeypatch):
    from models import DelinquencyMonthEnd, DelinquencyMonthEndRun
    from resolvers.analytics import delinquency

    first = await client.execute(DELINQUENCY, {"f": FILTER})
    ends = month_ends(START, END)
    assert sorted(await DelinquencyMonthEndRun.all().values_list("month_end", flat=True)) == ends
    for day in (date(2026, 3, 31), date(2026, 9, 30)):
        recorded = dict(await DelinquencyMonthEnd.filter(month_end=day).values_list("contract_id", "bucket"))
        assert recorded == await expected_buckets(portfolio.contracts, day), day

    def no_derivation(*args, **kwargs):
        raise AssertionError("a recorded month end was derived again")

    monkeypatch.setattr(delinquency, "_derivation", no_derivation)
    assert _figures(await client.execute(DELINQUENCY, {"f": FILTER})) == _figures(first)
    narrowed = await client.execute(DELINQUENCY, {"f": {**FILTER, "product": "LEASE"}})  # the scope still applies
    assert sum(m["contracts"] for m in narrowed["analytics"]["delinquency"]["months"]) < sum(
        m["contracts"] for m in first["analytics"]["delinquency"]["months"])


async def test_a_back_dated_payment_does_not_rewrite_a_recorded_month(client, portfolio):
    from tests.api.analytics.portfolio import _pay

    before = await client.execute(DELINQUENCY, {"f": FILTER})
    assert "back-dated" in before["analytics"]["delinquency"]["source"]
    never_paid = portfolio.contracts[4]  # contract 5: never pays
    may = date(2026, 5, 31)
    assert (await expected_buckets([never_paid], may))[never_paid.id] != "CURRENT"
    await _pay(never_paid, date(2026, 5, 1), never_paid.scheduled_payment * 2)  # entered now, effective in May
    assert (await expected_buckets([never_paid], may))[never_paid.id] == "CURRENT"  # the ledger now says so
    after = await client.execute(DELINQUENCY, {"f": FILTER})
    assert _figures(after) == _figures(before)  # as reported: the recorded months stand


async def test_a_month_end_not_closed_yet_is_derived_and_not_recorded(portfolio):
    from models import DelinquencyMonthEndRun
    from resolvers.analytics.delinquency import delinquency_report
    from resolvers.analytics.scope import AnalyticsFilter

    today = date(2026, 10, 31)  # the last day of October: September is closed, October is not
    report = await delinquency_report(AnalyticsFilter(start=date(2026, 9, 1), end=today), today)
    assert list(await DelinquencyMonthEndRun.all().values_list("month_end", flat=True)) == [date(2026, 9, 30)]
    for month in report.months:
        counts = Counter((await expected_buckets(portfolio.contracts, month.month_end)).values())
        assert {b.bucket: b.contracts for b in month.buckets} == {b: counts.get(b, 0) for b in BUCKETS}
    assert report.roll_rates and all(r.month_end == today for r in report.roll_rates)


async def test_the_close_of_the_first_records_the_month_end_it_closes(services, portfolio):
    from models import DelinquencyMonthEnd, DelinquencyMonthEndRun
    from resolvers.servicing.close import close_day

    await close_day(services, date(2026, 10, 31), documents=[])
    assert not await DelinquencyMonthEndRun.exists()
    await close_day(services, date(2026, 11, 1), documents=[])
    october = date(2026, 10, 31)
    assert list(await DelinquencyMonthEndRun.all().values_list("month_end", flat=True)) == [october]
    recorded = dict(await DelinquencyMonthEnd.filter(month_end=october).values_list("contract_id", "bucket"))
    assert recorded == await expected_buckets(portfolio.contracts, october)
