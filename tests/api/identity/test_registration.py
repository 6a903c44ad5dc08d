"""Registration through /graphql: identity proofing with an emailed link, and the dealer-issued
link. Mail is asserted as delivered over real SMTP."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from strawberry import relay

from auth import one_time_tokens
from auth.sessions import start_session
from models import AuditEvent, OneTimeToken, OutboxMessage, User
from models.enums import Role, SessionKind, TokenPurpose
from resolvers.identity.registration import REGISTER_MESSAGE
from tests import factories

STRONG = "violet harbor tractor 91"
OTHER_STRONG = "quiet lantern meadow 4417"
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { message errors { code message field } } }"""
VERIFY = """mutation($t: String!) {
  verifyEmail(input: {token: $t}) { username message errors { code message field } }
}"""
ISSUE = """mutation($c: ID!) {
  issueRegistrationLink(input: {customerId: $c}) { sentTo expiresAt errors { code message field } }
}"""
COMPLETE = """mutation($t: String!, $u: String!, $p: String!) {
  completeRegistrationLink(input: {token: $t, username: $u, password: $p}) {
    username message errors { code message field }
  }
}"""
OK = {"message": REGISTER_MESSAGE, "errors": []}


@pytest.fixture
async def holder(services):
    dealer = await factories.dealership()
    owner = await factories.customer(services, ssn="123456789", last_name="O'Neil Doe", date_of_birth=date(1985, 4, 12),
                                     postal_code="78701-2211")
    contract = await factories.loan(owner, dealer)
    return dealer, owner, contract


def facts(contract, **overrides) -> dict:
    values = dict(contractNumber=contract.number, lastName="o'neil  DOE", dateOfBirth="1985-04-12",
                  zipCode="78701", ssnLast4="6789", username="Jane.Doe", email="jane@example.net", password=STRONG)
    return {**values, **overrides}


async def register(client, **values) -> dict:
    return (await client.execute(REGISTER, {"i": values}))["register"]


async def sign_in(client, services, user) -> None:
    """A full bearer session, made directly (staff sign-in rules are tested with login)."""
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


def gid(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))


async def test_full_match_mails_a_link_that_creates_the_login_once(client, services, mailbox, holder):
    _, owner, contract = holder
    assert await register(client, **facts(contract)) == OK
    assert await User.all().count() == 0  # nothing is created before the link is followed

    [message] = await mailbox.deliver()
    assert message["To"] == "jane@example.net"
    assert message["Subject"] == "Confirm your email to finish registering with autofin"
    token = mailbox.link_param(message)

    stored = await OneTimeToken.get(purpose=TokenPurpose.EMAIL_VERIFICATION)
    assert stored.customer_id == owner.id and stored.payload["password_hash"].startswith("$argon2id$")
    assert STRONG not in json.dumps(stored.payload) and token not in stored.token_hash

    done = (await client.execute(VERIFY, {"t": token}))["verifyEmail"]
    assert done["errors"] == [] and done["username"] == "jane.doe" and "Sign in" in done["message"]
    user = await User.get(username="jane.doe")
    assert (user.role, user.customer_id, user.email) == (Role.CUSTOMER, owner.id, "jane@example.net")
    assert user.email_verified_at == services.clock.now() and user.is_active
    [welcome] = await mailbox.deliver()
    assert welcome["To"] == "jane@example.net" and welcome["Subject"].startswith("Welcome to autofin")

    again = (await client.execute(VERIFY, {"t": token}))["verifyEmail"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"] and again["username"] is None
    assert await User.all().count() == 1

    viewer = await client.login("JANE.DOE", STRONG)
    assert viewer["role"] == "CUSTOMER"
    actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
    assert actions[:2] == ["registration.requested", "registration.completed"]


async def test_a_co_customer_registers_with_their_own_facts(client, services, mailbox):
    dealer = await factories.dealership()
    owner = await factories.customer(services)
    co = await factories.customer(services, ssn="987650000", last_name="Smith", date_of_birth=date(1990, 1, 2),
                                  postal_code="73301")
    contract = await factories.loan(owner, dealer, co_customer=co)
    assert await register(client, **facts(contract, lastName="smith", dateOfBirth="1990-01-02", zipCode="73301",
                                          ssnLast4="0000")) == OK
    [message] = await mailbox.deliver()
    assert (await client.execute(VERIFY, {"t": mailbox.link_param(message)}))["verifyEmail"]["errors"] == []
    assert (await User.get(username="jane.doe")).customer_id == co.id


@pytest.mark.parametrize("mismatch", [
    {"contractNumber": "4999999999"},
    {"lastName": "Doe"},
    {"dateOfBirth": "1985-04-13"},
    {"zipCode": "78702"},
    {"ssnLast4": "6788"},
])
async def test_each_wrong_fact_gets_the_same_answer_and_nothing_happens(client, services, mailbox, holder, mismatch):
    _, _, contract = holder
    wrong = await client.post(REGISTER, {"i": facts(contract, **mismatch)})
    assert wrong.json()["data"]["register"] == OK
    assert await mailbox.deliver() == []
    assert await OneTimeToken.all().count() == 0 and await User.all().count() == 0

    # Byte for byte what a full match answers.
    right = await client.post(REGISTER, {"i": facts(contract, username="someone.else")})
    assert right.content == wrong.content
    assert len(await mailbox.deliver()) == 1


async def test_a_customer_with_a_login_is_told_and_the_given_address_gets_nothing(client, services, mailbox, holder):
    _, owner, contract = holder
    await factories.user(services, "existing", Role.CUSTOMER, customer=owner)
    assert await register(client, **facts(contract, email="attacker@example.org")) == OK
    [message] = await mailbox.deliver()
    assert message["To"] == "existing@example.com"
    assert message["Subject"] == "Someone tried to register for your autofin account"
    assert "attacker@example.org" not in mailbox.text(message)
    assert await OneTimeToken.all().count() == 0 and await User.all().count() == 1
    event = await AuditEvent.get(action="registration.requested")
    assert event.details == {"outcome": "already_registered", "customer_id": owner.id} and event.subject_id is None


async def test_attempts_are_limited_per_contract(client, services, mailbox, holder, clock):
    _, _, contract = holder
    for _ in range(5):
        assert await register(client, **facts(contract, ssnLast4="0000")) == OK
    limited = await register(client, **facts(contract))  # even the right facts, now
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"] and limited["message"] is None
    assert await mailbox.deliver() == [] and await OneTimeToken.all().count() == 0
    clock.advance(timedelta(hours=1))
    assert await register(client, **facts(contract)) == OK
    assert len(await mailbox.deliver()) == 1


async def test_attempts_are_limited_per_ip_across_contracts(client, services, holder):
    _, _, contract = holder
    for n in range(20):
        assert await register(client, **facts(contract, contractNumber=f"5{n:09d}")) == OK
    limited = await register(client, **facts(contract))
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]


async def test_aliases_count_as_separate_attempts(client, services, mailbox, holder):
    _, _, contract = holder
    aliased = " ".join(f'a{n}: register(input: $i) {{ message errors {{ code }} }}' for n in range(6))
    wrong = facts(contract, ssnLast4="0000")
    data = await client.execute(f"mutation($i: RegisterInput!) {{ {aliased} }}", {"i": wrong})
    codes = [data[f"a{n}"]["errors"][0]["code"] if data[f"a{n}"]["errors"] else None for n in range(6)]
    assert codes == [None] * 5 + ["RATE_LIMITED"]


async def test_malformed_input_is_refused_field_by_field_and_nothing_changes(client, services, mailbox, holder):
    _, _, contract = holder
    payload = await register(client, **facts(contract, contractNumber=" ", lastName="", zipCode="7870", ssnLast4="12a4",
                                             username="x", email="not-an-email", dateOfBirth="2030-01-01"))
    assert payload["message"] is None
    assert {tuple(e["field"]) for e in payload["errors"]} == {
        ("contractNumber",), ("lastName",), ("zipCode",), ("ssnLast4",), ("username",), ("email",), ("dateOfBirth",)}
    assert {e["code"] for e in payload["errors"]} == {"INVALID"}
    assert await mailbox.deliver() == [] and await OneTimeToken.all().count() == 0


@pytest.mark.parametrize("password, reason", [
    ("short pass", "at least 12"),
    ("password1234", "common or breached"),
    ("jane.doejane.doe", "guess"),
])
async def test_weak_passwords_are_refused_with_the_field(client, services, mailbox, holder, password, reason):
    _, _, contract = holder
    payload = await register(client, **facts(contract, password=password))
    [error] = payload["errors"]
    assert error["code"] == "WEAK_PASSWORD" and error["field"] == ["password"] and reason in error["message"]
    assert await mailbox.deliver() == [] and await OneTimeToken.all().count() == 0


async def test_a_taken_user_id_is_a_conflict(client, services, mailbox, holder):
    _, _, contract = holder
    await factories.user(services, "jane.doe", Role.SUPPORT)
    payload = await register(client, **facts(contract))
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", ["username"])]
    assert await mailbox.deliver() == [] and await OneTimeToken.all().count() == 0


async def test_the_link_expires_after_24_hours(client, services, mailbox, holder, clock):
    _, _, contract = holder
    await register(client, **facts(contract))
    [message] = await mailbox.deliver()
    clock.advance(timedelta(hours=24))
    payload = (await client.execute(VERIFY, {"t": mailbox.link_param(message)}))["verifyEmail"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_TOKEN"] and await User.all().count() == 0


async def test_a_user_id_taken_meanwhile_is_a_conflict_and_the_link_is_spent(client, services, mailbox, holder):
    _, _, contract = holder
    await register(client, **facts(contract))
    [message] = await mailbox.deliver()
    await factories.user(services, "jane.doe", Role.SUPPORT)
    token = mailbox.link_param(message)
    payload = (await client.execute(VERIFY, {"t": token}))["verifyEmail"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", ["username"])]
    again = (await client.execute(VERIFY, {"t": token}))["verifyEmail"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]
    assert await User.filter(role=Role.CUSTOMER).count() == 0


async def test_registration_audit_carries_no_secret(client, services, mailbox, holder):
    _, owner, contract = holder
    await register(client, **facts(contract))
    await register(client, **facts(contract, ssnLast4="0000"))
    events = await AuditEvent.filter(action="registration.requested").order_by("id")
    assert [e.details["outcome"] for e in events] == ["matched", "not_matched"]
    dumped = json.dumps([e.details for e in events])
    for secret in (STRONG, "6789", "jane@example.net", contract.number):
        assert secret not in dumped


@pytest.mark.postgres_only
async def test_two_concurrent_verifications_create_exactly_one_user(client, services, mailbox, holder):
    _, _, contract = holder
    await register(client, **facts(contract))
    [message] = await mailbox.deliver()
    token = mailbox.link_param(message)
    results = await asyncio.gather(*(client.execute(VERIFY, {"t": token}) for _ in range(2)))
    outcomes = sorted(bool(r["verifyEmail"]["errors"]) for r in results)
    assert outcomes == [False, True]
    assert await User.filter(role=Role.CUSTOMER).count() == 1


@pytest.mark.postgres_only
async def test_two_links_for_one_customer_raced_create_one_login(client, services, mailbox, holder, monkeypatch):
    _, _, contract = holder
    await register(client, **facts(contract, username="first.try"))
    await register(client, **facts(contract, username="second.try"))
    tokens = [mailbox.link_param(m) for m in await mailbox.deliver()]
    # Both requests spend their link before either creates the login, so both pass the
    # "no login yet" check and the database's unique key decides.
    barrier, consume = asyncio.Barrier(2), one_time_tokens.consume

    async def consume_together(*args, **kwargs):
        row = await consume(*args, **kwargs)
        await barrier.wait()
        return row

    monkeypatch.setattr(one_time_tokens, "consume", consume_together)
    results = await asyncio.gather(*(client.execute(VERIFY, {"t": t}) for t in tokens))
    errors = sorted((e["code"] for r in results for e in r["verifyEmail"]["errors"]))
    assert errors == ["CONFLICT"]
    assert await User.filter(role=Role.CUSTOMER).count() == 1


# -- dealer-issued link ------------------------------------------------------------------------

async def test_dealer_link_creates_the_login_once(client, services, mailbox, holder):
    dealer, owner, _ = holder
    staff = await factories.user(services, "sales1", Role.DEALER_USER, dealership=dealer)
    await sign_in(client, services, staff)
    issued = (await client.execute(ISSUE, {"c": gid("Customer", owner.id)}))["issueRegistrationLink"]
    assert issued["errors"] == [] and issued["sentTo"] == f"{owner.email[0]}***@example.com"
    [message] = await mailbox.deliver()
    assert message["To"] == owner.email and message["Subject"] == "Your autofin registration link"
    event = await AuditEvent.get(action="registration.link_issued")
    assert event.actor_id == staff.id and event.details["customer_id"] == owner.id

    client.token = None
    token = mailbox.link_param(message)
    done = (await client.execute(COMPLETE, {"t": token, "u": "Pat.Doe", "p": STRONG}))["completeRegistrationLink"]
    assert done["errors"] == [] and done["username"] == "pat.doe" and "MFA" in done["message"]
    user = await User.get(username="pat.doe")
    assert (user.customer_id, user.email, user.role) == (owner.id, owner.email, Role.CUSTOMER)
    assert user.email_verified_at is not None
    [welcome] = await mailbox.deliver()
    assert welcome["To"] == owner.email

    again = (await client.execute(COMPLETE, {"t": token, "u": "pat.other", "p": OTHER_STRONG}))
    assert [e["code"] for e in again["completeRegistrationLink"]["errors"]] == ["INVALID_TOKEN"]
    await client.login("pat.doe", STRONG)


async def test_dealer_cannot_invite_another_dealerships_customer(client, services, mailbox, holder):
    dealer, owner, _ = holder
    other_dealer = await factories.dealership()
    stranger = await factories.customer(services)
    await factories.loan(stranger, other_dealer)
    staff = await factories.user(services, "sales1", Role.DEALER_ADMIN, dealership=dealer)
    await sign_in(client, services, staff)
    answers = []
    for customer_id in (gid("Customer", stranger.id), gid("Customer", 999999), gid("Contract", owner.id), "garbage"):
        answers.append((await client.execute(ISSUE, {"c": customer_id}))["issueRegistrationLink"])
    assert all(a == answers[0] for a in answers)
    assert [(e["code"], e["field"]) for e in answers[0]["errors"]] == [("NOT_FOUND", ["customerId"])]
    assert await mailbox.deliver() == [] and await OneTimeToken.all().count() == 0


async def test_dealer_link_refused_when_the_customer_has_a_login(client, services, mailbox, holder):
    dealer, owner, _ = holder
    await factories.user(services, "owner", Role.CUSTOMER, customer=owner)
    await sign_in(client, services, await factories.user(services, "sales1", Role.DEALER_USER, dealership=dealer))
    payload = (await client.execute(ISSUE, {"c": gid("Customer", owner.id)}))["issueRegistrationLink"]
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"] and await mailbox.deliver() == []


@pytest.mark.parametrize("role", [None, Role.CUSTOMER, Role.SUPPORT, Role.ADMIN])
async def test_only_dealers_issue_links(client, services, holder, role):
    _, owner, _ = holder
    if role is not None:
        links = {"customer": owner} if role == Role.CUSTOMER else {}
        await sign_in(client, services, await factories.user(services, "someone", role, **links))
    body = (await client.post(ISSUE, {"c": gid("Customer", owner.id)})).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await OneTimeToken.all().count() == 0


async def test_dealer_link_expires_after_72_hours_and_a_new_one_voids_the_old(client, services, mailbox, holder,
                                                                              clock):
    dealer, owner, _ = holder
    await sign_in(client, services, await factories.user(services, "sales1", Role.DEALER_USER, dealership=dealer))
    await client.execute(ISSUE, {"c": gid("Customer", owner.id)})
    await client.execute(ISSUE, {"c": gid("Customer", owner.id)})
    first, second = await mailbox.deliver()
    client.token = None
    voided = await client.execute(COMPLETE, {"t": mailbox.link_param(first), "u": "pat.doe", "p": STRONG})
    assert [e["code"] for e in voided["completeRegistrationLink"]["errors"]] == ["INVALID_TOKEN"]
    clock.advance(timedelta(hours=72))
    expired = await client.execute(COMPLETE, {"t": mailbox.link_param(second), "u": "pat.doe", "p": STRONG})
    assert [e["code"] for e in expired["completeRegistrationLink"]["errors"]] == ["INVALID_TOKEN"]
    assert await User.filter(role=Role.CUSTOMER).count() == 0


async def test_dealer_link_refuses_a_weak_password_and_stays_usable(client, services, mailbox, holder):
    dealer, owner, _ = holder
    await sign_in(client, services, await factories.user(services, "sales1", Role.DEALER_USER, dealership=dealer))
    await client.execute(ISSUE, {"c": gid("Customer", owner.id)})
    [message] = await mailbox.deliver()
    client.token = None
    token = mailbox.link_param(message)
    weak = (await client.execute(COMPLETE, {"t": token, "u": "pat.doe", "p": "password1234"}))
    assert [(e["code"], e["field"]) for e in weak["completeRegistrationLink"]["errors"]] == [
        ("WEAK_PASSWORD", ["password"])]
    assert await User.filter(role=Role.CUSTOMER).count() == 0
    assert await OutboxMessage.filter(template="welcome").count() == 0
    ok = (await client.execute(COMPLETE, {"t": token, "u": "pat.doe", "p": STRONG}))["completeRegistrationLink"]
    assert ok["errors"] == []
