"""Support cases through /graphql: opening and working a case, the one queue (with payment-plan change
requests waiting for review), who may see cases, audit, SQL cost of the queue, races on PostgreSQL,
and the demo cases.

Business date 2026-11-02 (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta

import pytest

from models import AuditEvent, CaseNote, IdentityVerification, SupportCase, User
from models.enums import (
    CaseCategory,
    CaseStatus,
    Role,
    VerificationMethod,
    VerificationStatus,
)
from tests import factories
from tests.api.support.case_helpers import (
    ADD_NOTE,
    ASSIGN,
    ONE_CASE,
    OPEN_CASE,
    QUEUE,
    SET_STATUS,
    codes,
    customer_and_loan,
    gid,
    open_input,
    staff_token,
    token_for,
)
from tests.conftest import count_queries

CASE_ACTIONS = ("support.case_opened", "support.case_note_added", "support.case_assigned",
                "support.case_status_changed")
EVENTS = "query { viewer { securityEvents(first: 50) { edges { node { action description byStaff } } } } }"


async def open_case(client, variables: dict) -> dict:
    return (await client.execute(OPEN_CASE, variables))["openCase"]


async def mutate(client, query: str, name: str, value: dict) -> dict:
    return (await client.execute(query, {"input": value}))[name]


async def queue(client, **filter_) -> dict:
    return (await client.execute(QUEUE, {"filter": filter_ or None}))["support"]["cases"]


def subjects(connection: dict) -> list[str]:
    return [edge["node"]["subject"] for edge in connection["edges"]]


# -- the lifecycle ------------------------------------------------------------------------------

async def test_a_case_is_opened_worked_and_resolved_and_each_step_is_audited_for_the_customer(client, services,
                                                                                              clock):
    customer, contract = await customer_and_loan(services)
    sam, token = await staff_token(services, "sam")
    lead, _ = await staff_token(services, "lee", Role.SUPPORT_LEAD)
    client.token = token

    opened = await open_case(client, open_input(customer, contract, category="PAYMENT_DISPUTE",
                                                subject="Disputes the October payment",
                                                note="Says the payment was taken twice."))
    assert opened["errors"] == []
    case = opened["case"]
    assert (case["status"], case["category"], case["subject"]) == ("OPEN", "PAYMENT_DISPUTE",
                                                                    "Disputes the October payment")
    assert case["assignee"] == {"username": "sam", "isYou": True} and case["openedBySystem"] is False
    assert case["customer"] == {"id": gid("Customer", customer.id), "displayName": f"{customer.first_name} D.",
                                "hasLogin": True}
    assert case["contract"]["number"] == contract.number and case["contract"]["kind"] == "LOAN"
    assert case["noteCount"] == 1 and case["resolvedAt"] is None and case["planChangeRequest"] is None
    assert case["verification"] == {"verified": False, "expiresAt": None}
    case_id = case["id"]

    clock.advance(timedelta(minutes=5))
    noted = await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": case_id, "body": "Asked the bank for a trace."})
    assert noted["errors"] == [] and noted["case"]["noteCount"] == 2
    assert noted["note"]["body"] == "Asked the bank for a trace." and noted["note"]["author"]["isYou"] is True

    waiting = await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": case_id, "status": "WAITING_ON_CUSTOMER"})
    assert waiting["errors"] == [] and waiting["case"]["status"] == "WAITING_ON_CUSTOMER"
    again = await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": case_id, "status": "WAITING_ON_CUSTOMER"})
    assert codes(again) == [("CONFLICT", ["status"])]

    moved = await mutate(client, ASSIGN, "assignCase", {"caseId": case_id, "assigneeId": gid("User", lead.id)})
    assert moved["errors"] == [] and moved["case"]["assignee"] == {"username": "lee", "isYou": False}

    no_note = await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": case_id, "status": "RESOLVED"})
    assert codes(no_note) == [("INVALID", ["note"])]
    assert (await SupportCase.get(id=(await SupportCase.first()).id)).status == CaseStatus.WAITING_ON_CUSTOMER
    resolved = await mutate(client, SET_STATUS, "setCaseStatus",
                            {"caseId": case_id, "status": "RESOLVED", "note": "Duplicate reversed by the bank."})
    assert resolved["errors"] == [] and resolved["case"]["status"] == "RESOLVED"
    assert resolved["case"]["resolvedAt"] is not None and resolved["case"]["noteCount"] == 3

    late = await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": case_id, "body": "one more"})
    assert codes(late) == [("CONFLICT", ["caseId"])]
    late = await mutate(client, ASSIGN, "assignCase", {"caseId": case_id})
    assert codes(late) == [("CONFLICT", ["caseId"])]
    reopened = await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": case_id, "status": "OPEN"})
    assert reopened["case"]["status"] == "OPEN" and reopened["case"]["resolvedAt"] is None

    # Every step is an audit event about the customer's login, by the staff member, with no free text.
    alice = await User.get(username="alice")
    events = await AuditEvent.filter(action__in=CASE_ACTIONS).order_by("id")
    assert [e.action for e in events] == ["support.case_opened", "support.case_note_added",
                                          "support.case_status_changed", "support.case_assigned",
                                          "support.case_status_changed", "support.case_status_changed"]
    assert {(e.actor_id, e.subject_id) for e in events} == {(sam.id, alice.id)}
    text = repr([e.details for e in events])
    assert "trace" not in text and "Duplicate" not in text and "October" not in text
    assert events[3].details == {"case_id": int(await SupportCase.first().values_list("id", flat=True)),
                                 "from_user_id": sam.id, "to_user_id": lead.id}

    # The customer sees them in their security events, as done by staff.
    await client.login("alice", factories.TEST_PASSWORD)
    seen = [e["node"] for e in (await client.execute(EVENTS))["viewer"]["securityEvents"]["edges"]]
    staff_seen = [e for e in seen if e["action"].startswith("support.case_")]
    assert len(staff_seen) == 6 and all(e["byStaff"] for e in staff_seen)
    assert "Support opened a case about your account" in {e["description"] for e in staff_seen}


async def test_one_case_shows_its_notes_and_looking_at_it_is_an_audited_view(client, services):
    customer, contract = await customer_and_loan(services)
    sam, client.token = await staff_token(services, "sam")
    case_id = (await open_case(client, open_input(customer, note="First call.")))["case"]["id"]
    await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": case_id, "body": "Second call."})
    view = (await client.execute(ONE_CASE, {"id": case_id}))["support"]["case"]
    assert view["notes"]["totalCount"] == 2
    assert [e["node"]["body"] for e in view["notes"]["edges"]] == ["First call.", "Second call."]
    assert view["notes"]["edges"][0]["node"]["author"] == {"username": "sam"}
    viewed = await AuditEvent.get(action="support.viewed_account")
    assert viewed.actor_id == sam.id and viewed.subject_id == (await User.get(username="alice")).id
    assert viewed.details == {"case_id": int(await SupportCase.first().values_list("id", flat=True))}
    for missing in (gid("Case", 999999), gid("Contract", contract.id), "nonsense"):
        assert (await client.execute(ONE_CASE, {"id": missing}))["support"]["case"] is None


async def test_open_case_is_idempotent_by_key(client, services):
    customer, contract = await customer_and_loan(services)
    _, client.token = await staff_token(services, "sam")
    first = await open_case(client, open_input(customer, contract))
    again = await open_case(client, open_input(customer, contract))
    assert again["errors"] == [] and again["case"]["id"] == first["case"]["id"]
    other = await open_case(client, open_input(customer, contract, subject="Something else"))
    assert codes(other) == [("CONFLICT", ["idempotencyKey"])]
    assert await SupportCase.all().count() == 1
    assert await AuditEvent.filter(action="support.case_opened").count() == 1
    # Another staff member's key is theirs alone.
    _, client.token = await staff_token(services, "kim")
    assert (await open_case(client, open_input(customer, contract)))["case"]["id"] != first["case"]["id"]


async def test_bad_input_is_refused_and_changes_nothing(client, services):
    customer, contract = await customer_and_loan(services)
    _, others_contract = await customer_and_loan(services, "bob")
    _, client.token = await staff_token(services, "sam")
    dealer_user = await factories.user(services, "dan", Role.DEALER_USER, dealership=await factories.dealership())
    cases = [
        (open_input(customer, others_contract), [("INVALID", ["contractId"])]),
        (open_input(customer, contractId=gid("Contract", 999999)), [("NOT_FOUND", ["contractId"])]),
        (open_input(customer, contractId="nonsense"), [("NOT_FOUND", ["contractId"])]),
        ({"input": {**open_input(customer)["input"], "customerId": gid("Customer", 999999)}},
         [("NOT_FOUND", ["customerId"])]),
        ({"input": {**open_input(customer)["input"], "customerId": gid("Contract", contract.id)}},
         [("NOT_FOUND", ["customerId"])]),
        (open_input(customer, subject="   "), [("INVALID", ["subject"])]),
        (open_input(customer, subject="x" * 201), [("INVALID", ["subject"])]),
        (open_input(customer, note="x" * 4001), [("INVALID", ["note"])]),
        (open_input(customer, key=""), [("INVALID", ["idempotencyKey"])]),
    ]
    for variables, expected in cases:
        payload = await open_case(client, variables)
        assert codes(payload) == expected and payload["case"] is None, variables
    assert await SupportCase.all().count() == 0 and await AuditEvent.filter(action__in=CASE_ACTIONS).count() == 0

    # A co-buyer's contract is theirs too.
    others_contract.co_customer_id = customer.id
    await others_contract.save()
    assert (await open_case(client, open_input(customer, others_contract)))["errors"] == []

    case_id = (await SupportCase.first()).id
    for assignee in (gid("User", dealer_user.id), gid("User", (await User.get(username="alice")).id),
                     gid("User", 999999), gid("Customer", customer.id)):
        payload = await mutate(client, ASSIGN, "assignCase", {"caseId": gid("Case", case_id), "assigneeId": assignee})
        assert codes(payload) == [("INVALID", ["assigneeId"])]
    for junk in (gid("Case", 999999), gid("Contract", case_id), "nonsense"):
        assert codes(await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": junk, "body": "x"})) == [
            ("NOT_FOUND", ["caseId"])]
        assert codes(await mutate(client, ASSIGN, "assignCase", {"caseId": junk})) == [("NOT_FOUND", ["caseId"])]
    assert codes(await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": gid("Case", case_id), "body": " "})) == [
        ("INVALID", ["body"])]
    assert await CaseNote.all().count() == 0


async def test_customers_and_dealers_are_forbidden_and_cannot_reach_a_case_by_id(client, services):
    customer, contract = await customer_and_loan(services)
    _, client.token = await staff_token(services, "sam")
    case_id = (await open_case(client, open_input(customer, contract)))["case"]["id"]
    note_id = (await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": case_id, "body": "x"}))["note"]["id"]

    alice_token = await token_for(services, await User.get(username="alice"))
    dealer = await factories.user(services, "dan", Role.DEALER_USER, dealership_id=contract.dealership_id)
    for token in (alice_token, await token_for(services, dealer), None):
        client.token = token
        for query, variables in ((QUEUE, {}), (ONE_CASE, {"id": case_id}), (OPEN_CASE, open_input(customer)),
                                 (ADD_NOTE, {"input": {"caseId": case_id, "body": "x"}}),
                                 (ASSIGN, {"input": {"caseId": case_id}}),
                                 (SET_STATUS, {"input": {"caseId": case_id, "status": "RESOLVED", "note": "x"}})):
            body = (await client.post(query, variables)).json()
            assert body["data"] is None and body["errors"][0]["extensions"]["code"] in {"FORBIDDEN"}, body
        if token is not None:
            nodes = (await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                          {"ids": [case_id, note_id]}))["nodes"]
            assert nodes == [None, None]
    assert (await SupportCase.first()).status == CaseStatus.OPEN and await CaseNote.all().count() == 1


async def test_support_reaches_a_case_by_node_id(client, services):
    customer, _ = await customer_and_loan(services)
    _, client.token = await staff_token(services, "sam")
    case_id = (await open_case(client, open_input(customer)))["case"]["id"]
    node = (await client.execute("query($id: ID!) { node(id: $id) { ... on Case { subject } } }",
                                 {"id": case_id}))["node"]
    assert node == {"subject": "Asks about the payoff letter"}


# -- the queue ----------------------------------------------------------------------------------

async def test_the_queue_filters_by_assignee_status_category_and_customer(client, services, clock):
    alice, loan = await customer_and_loan(services)
    bob, _ = await customer_and_loan(services, "bob")
    _, sam_token = await staff_token(services, "sam")
    _, kim_token = await staff_token(services, "kim")
    client.token = sam_token
    await open_case(client, open_input(alice, loan, key="1", subject="mine, alice"))
    clock.advance(timedelta(minutes=1))
    await open_case(client, open_input(bob, key="2", subject="unassigned, bob", category="FEE_WAIVER",
                                       assignToMe=False))
    clock.advance(timedelta(minutes=1))
    resolved = (await open_case(client, open_input(bob, key="3", subject="resolved, bob")))["case"]["id"]
    await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": resolved, "status": "RESOLVED", "note": "done"})
    client.token = kim_token
    await open_case(client, open_input(alice, key="4", subject="kim's, alice"))

    assert subjects(await queue(client)) == ["mine, alice", "unassigned, bob", "kim's, alice"]
    assert (await queue(client))["totalCount"] == 3
    assert subjects(await queue(client, assignedTo="ME")) == ["kim's, alice"]
    client.token = sam_token
    assert subjects(await queue(client, assignedTo="ME")) == ["mine, alice"]
    assert subjects(await queue(client, assignedTo="UNASSIGNED")) == ["unassigned, bob"]
    assert subjects(await queue(client, status="RESOLVED")) == ["resolved, bob"]
    assert subjects(await queue(client, category="FEE_WAIVER")) == ["unassigned, bob"]
    assert subjects(await queue(client, customerId=gid("Customer", alice.id))) == ["mine, alice", "kim's, alice"]
    assert subjects(await queue(client, customerId="nonsense")) == []

    # Oldest-updated first: touching the first case sends it to the end.
    clock.advance(timedelta(minutes=1))
    first_id = (await queue(client))["edges"][0]["node"]["id"]
    await mutate(client, ADD_NOTE, "addCaseNote", {"caseId": first_id, "body": "called back"})
    assert subjects(await queue(client)) == ["unassigned, bob", "kim's, alice", "mine, alice"]

    # Keyset pages.
    page = (await client.execute(QUEUE, {"first": 2}))["support"]["cases"]
    assert subjects(page) == ["unassigned, bob", "kim's, alice"] and page["pageInfo"]["hasNextPage"] is True
    rest = (await client.execute(QUEUE, {"first": 2, "after": page["pageInfo"]["endCursor"]}))["support"]["cases"]
    assert subjects(rest) == ["mine, alice"] and rest["pageInfo"]["hasNextPage"] is False


async def test_the_queue_shows_a_live_identity_verification(client, services, clock):
    customer, _ = await customer_and_loan(services)
    sam, client.token = await staff_token(services, "sam")
    case_id = (await open_case(client, open_input(customer)))["case"]["id"]
    case = await SupportCase.first()
    now = clock.now()
    await IdentityVerification.create(case=case, customer=customer, staff=sam, method=VerificationMethod.KNOWLEDGE,
                                      status=VerificationStatus.VERIFIED, verified_at=now - timedelta(minutes=40),
                                      expires_at=now - timedelta(minutes=10), created_at=now - timedelta(minutes=40))
    await IdentityVerification.create(case=case, customer=customer, staff=sam, method=VerificationMethod.EMAIL_CODE,
                                      status=VerificationStatus.PENDING, created_at=now)
    [node] = [e["node"] for e in (await queue(client))["edges"]]
    assert node["id"] == case_id and node["verification"] == {"verified": False, "expiresAt": None}
    await IdentityVerification.create(case=case, customer=customer, staff=sam, method=VerificationMethod.KNOWLEDGE,
                                      status=VerificationStatus.VERIFIED, verified_at=now - timedelta(minutes=5),
                                      expires_at=now + timedelta(minutes=25), created_at=now - timedelta(minutes=5))
    [node] = [e["node"] for e in (await queue(client))["edges"]]
    assert node["verification"]["verified"] is True
    assert node["verification"]["expiresAt"].startswith("2026-11-02T15:25:00")


async def _cases(services, customers: list, staff: User, count: int) -> None:
    for n in range(count):
        customer, contract = customers[n % len(customers)]
        now = services.clock.now() + timedelta(seconds=n)
        await SupportCase.create(customer=customer, contract=contract if n % 2 else None, category=CaseCategory.OTHER,
                                 subject=f"case {n}", assigned_to=staff if n % 3 != 1 else None, opened_by=staff,
                                 created_at=now, updated_at=now)


async def test_listing_cases_costs_the_same_sql_for_3_and_12(client, services, clock):
    _, client.token = await staff_token(services, "sam")
    staff = await User.get(username="sam")
    customers = [await customer_and_loan(services, name) for name in ("alice", "bob", None)]
    # Plan-change cases too (their requests load in one batch).
    contract_date = date(2026, 8, 15)  # 48 days past due: a deferral waits for review
    for name in ("carol", "dave"):
        _, loan = await customer_and_loan(services, name, contract_date=contract_date)
        client.token, token = await token_for(services, await User.get(username=name)), client.token
        await client.execute("""mutation($input: RequestDeferralInput!) { requestDeferral(input: $input) {
            errors { code } } }""", {"input": {"contractId": gid("Contract", loan.id), "installments": 1,
                                               "idempotencyKey": "k"}})
        client.token = token

    async def statements(total: int) -> int:
        await _cases(services, customers, staff, total - await SupportCase.all().count())
        with count_queries() as counter:
            page = (await client.execute(QUEUE, {"first": 50}))["support"]["cases"]
        assert len(page["edges"]) == total and page["totalCount"] == total
        assert sum(1 for e in page["edges"] if e["node"]["planChangeRequest"]) == 2
        return len(counter.statements)

    few, many = await statements(3), await statements(12)
    assert few == many, (few, many)
    assert few <= 12


# -- payment-plan change requests in the queue --------------------------------------------------

DEFER = """mutation($input: RequestDeferralInput!) { requestDeferral(input: $input) {
  request { id status } errors { code } } }"""
DECIDE = """mutation($input: DecidePlanChangeRequestInput!) { decidePlanChangeRequest(input: $input) {
  request { id status } errors { code field } } }"""


async def test_a_request_waiting_for_review_is_a_case_in_the_queue_resolved_by_the_decision(client, services):
    customer, loan = await customer_and_loan(services, contract_date=date(2026, 8, 15))  # 48 days past due
    await client.login("alice", factories.TEST_PASSWORD)
    request = (await client.execute(DEFER, {"input": {"contractId": gid("Contract", loan.id), "installments": 1,
                                                      "idempotencyKey": "k"}}))["requestDeferral"]["request"]
    assert request["status"] == "PENDING_REVIEW"

    sam, client.token = await staff_token(services, "sam")
    [node] = [e["node"] for e in (await queue(client, assignedTo="UNASSIGNED"))["edges"]]
    assert node["category"] == "DEFERRAL" and node["openedBySystem"] is True and node["assignee"] is None
    assert node["planChangeRequest"] == {"id": request["id"], "kind": "DEFERRAL", "status": "PENDING_REVIEW"}
    assert node["contract"]["number"] == loan.number and node["customer"]["id"] == gid("Customer", customer.id)
    assert node["subject"] == f"Deferral of 1 payment on the account ending {loan.number[-4:]}: review"
    # Resolved by deciding the request, not by hand.
    early = await mutate(client, SET_STATUS, "setCaseStatus", {"caseId": node["id"], "status": "RESOLVED",
                                                               "note": "done"})
    assert codes(early) == [("CONFLICT", ["status"])]

    decided = await mutate(client, DECIDE, "decidePlanChangeRequest",
                           {"requestId": request["id"], "decision": "DECLINE", "reason": "Call us for a plan."})
    assert decided["errors"] == [] and decided["request"]["status"] == "DECLINED"
    assert (await queue(client))["edges"] == []
    [done] = [e["node"] for e in (await queue(client, status="RESOLVED"))["edges"]]
    assert done["id"] == node["id"] and done["planChangeRequest"]["status"] == "DECLINED"
    assert done["assignee"] == {"username": "sam", "isYou": True} and done["resolvedAt"] is not None
    [note] = await CaseNote.filter(case_id=(await SupportCase.first()).id)
    assert note.body == "Declined the request. Reason: Call us for a plan." and note.author_id == sam.id
    event = await AuditEvent.get(action="support.case_status_changed")
    assert event.details["to"] == "RESOLVED" and event.subject_id == (await User.get(username="alice")).id


async def test_requests_decided_at_once_open_no_case(client, services):
    _, loan = await customer_and_loan(services)
    await client.login("alice", factories.TEST_PASSWORD)
    payload = (await client.execute(DEFER, {"input": {"contractId": gid("Contract", loan.id), "installments": 1,
                                                      "idempotencyKey": "k"}}))["requestDeferral"]
    assert payload["request"]["status"] == "APPROVED"
    assert await SupportCase.all().count() == 0


# -- concurrency (PostgreSQL) -------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_racing_assignments_leave_one_assignee_and_a_consistent_audit_chain(client, services):
    """Invariant: assignments of one case are serialized by the case row's lock, so whatever the order,
    the case has exactly one assignee and its assignment events chain: each event's from_user_id is the
    previous one's to_user_id, and the newest event's to_user_id is the assignee."""
    customer, _ = await customer_and_loan(services)
    staff = [await staff_token(services, name) for name in ("sam", "kim", "lou", "max")]
    client.token = staff[0][1]
    case_id = (await open_case(client, open_input(customer, assignToMe=False)))["case"]["id"]
    client.token = None

    async def take(token: str) -> dict:
        response = await client.post(ASSIGN, {"input": {"caseId": case_id}}, headers={"authorization":
                                                                                       f"Bearer {token}"})
        return response.json()["data"]["assignCase"]

    for _ in range(3):
        results = await asyncio.gather(*(take(token) for _, token in staff))
        assert all(result["errors"] == [] for result in results), results
    case = await SupportCase.first()
    events = await AuditEvent.filter(action="support.case_assigned").order_by("id")
    assert events[0].details["from_user_id"] is None
    for before, after in itertools.pairwise(events):
        assert after.details["from_user_id"] == before.details["to_user_id"]
        assert after.details["to_user_id"] != after.details["from_user_id"]
    assert events[-1].details["to_user_id"] == case.assigned_to_id
    assert case.assigned_to_id in {user.id for user, _ in staff}


@pytest.mark.postgres_only
async def test_racing_retries_of_open_case_open_one_case(client, services):
    customer, contract = await customer_and_loan(services)
    _, client.token = await staff_token(services, "sam")
    results = await asyncio.gather(*(open_case(client, open_input(customer, contract)) for _ in range(4)))
    assert all(result["errors"] == [] for result in results), results
    assert len({result["case"]["id"] for result in results}) == 1
    assert await SupportCase.all().count() == 1
    assert await AuditEvent.filter(action="support.case_opened").count() == 1


# -- demo data ----------------------------------------------------------------------------------

async def test_the_demo_cases_are_in_the_demo_support_users_queue(client, services):
    from service.demo_data import seed_demo
    from service.demo_support import seed_support

    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    assert await seed_support(services, progress=lambda _: None) == 2  # a second run changes nothing
    assert await SupportCase.all().count() == 2
    support = await User.get(username="support")
    client.token = await token_for(services, support)

    [access] = [e["node"] for e in (await queue(client, assignedTo="UNASSIGNED"))["edges"]]
    assert (access["category"], access["status"], access["customer"]["displayName"]) == (
        "ACCOUNT_ACCESS", "OPEN", "Bob M.")
    [waiver] = [e["node"] for e in (await queue(client, assignedTo="ME"))["edges"]]
    assert (waiver["category"], waiver["status"], waiver["noteCount"]) == ("FEE_WAIVER", "WAITING_ON_CUSTOMER", 2)
    assert waiver["customer"]["displayName"] == "David O." and waiver["contract"]["kind"] == "LOAN"
    david = await User.get(username="david")
    assert await AuditEvent.filter(subject_id=david.id, action__startswith="support.case_").count() == 2
