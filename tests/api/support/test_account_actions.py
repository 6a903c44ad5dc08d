"""Support's actions on a customer's login through /graphql, each behind a verified case: unlocking a
locked-out login, resetting MFA, resending a verification or registration email. Mail goes through
a real SMTP server; the business clock is frozen."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from auth import attempts, one_time_tokens, totp
from auth.sessions import start_session
from models import AuditEvent, RecoveryCode, Session, User
from models.enums import SessionKind, TokenPurpose
from resolvers.identity import login as login_rules
from tests import factories
from tests.api.payments.payment_helpers import by_subject
from tests.api.support.desk_helpers import (
    case_gid,
    customer_with_login,
    make_case,
    sign_in_staff,
)

ERRORS = "errors { code message field }"
LOGIN_STATE = "login { username locked lockedUntil mfaEnabled emailVerified }"
UNLOCK = f"""mutation($input: SupportAccountActionInput!) {{ supportUnlockAccount(input: $input) {{
  {LOGIN_STATE} sentTo {ERRORS} }} }}"""
RESET_MFA = f"""mutation($input: SupportAccountActionInput!) {{ supportResetMfa(input: $input) {{
  {LOGIN_STATE} sentTo {ERRORS} }} }}"""
RESEND = f"""mutation($input: SupportResendEmailInput!) {{ supportResendEmail(input: $input) {{
  {LOGIN_STATE} sentTo {ERRORS} }} }}"""
KNOWLEDGE = f"""mutation($input: SupportVerifyIdentityInput!) {{ supportVerifyIdentity(input: $input) {{
  verification {{ status }} {ERRORS} }} }}"""
LOGIN = """mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p, mode: BEARER}) {
  token nextStep errors { code } } }"""
EVENTS = """{ viewer { securityEvents(first: 50) { edges { node { action description byStaff } } } } }"""
VERIFY_EMAIL = """mutation($t: String!) { verifyEmail(input: {token: $t}) { username errors { code } } }"""
COMPLETE_LINK = """mutation($t: String!, $u: String!, $p: String!) {
  completeRegistrationLink(input: {token: $t, username: $u, password: $p}) { username errors { code } } }"""
FACTS = {"dateOfBirth": "1985-04-12", "postalCode": "78701", "ssnLast4": "6789"}  # tests/factories.customer's


async def verify(client, case) -> None:
    payload = (await client.execute(KNOWLEDGE, {"input": {"caseId": case_gid(case), **FACTS}}))["supportVerifyIdentity"]
    assert payload["verification"]["status"] == "VERIFIED", payload


async def act(client, mutation: str, case, **extra) -> dict:
    data = await client.execute(mutation, {"input": {"caseId": case_gid(case), **extra}})
    return next(iter(data.values()))


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def lock_out(services, username: str) -> None:
    """The state login leaves after ten failures: the user ID's counter locked for 24 hours."""
    now = services.clock.now()
    await attempts.lock(login_rules.user_key(username), clock=services.clock, until=now + login_rules.LOCK_DURATION)


async def sign_in_attempt(client, username: str, password: str = factories.TEST_PASSWORD) -> dict:
    token, client.token = client.token, None
    try:
        return (await client.execute(LOGIN, {"u": username, "p": password}))["login"]
    finally:
        client.token = token


# -- unlock --------------------------------------------------------------------------------------

async def test_a_locked_out_customer_is_unlocked_only_after_verification(client, services, mailbox):
    customer, user = await customer_with_login(services, "jane")
    case = await make_case(services, customer)
    await lock_out(services, "jane")
    staff = await sign_in_staff(client, services)
    assert codes(await sign_in_attempt(client, "jane")) == ["LOCKED"]

    refused = await act(client, UNLOCK, case)
    assert codes(refused) == ["VERIFICATION_REQUIRED"] and refused["login"] is None
    assert codes(await sign_in_attempt(client, "jane")) == ["LOCKED"]
    assert await AuditEvent.filter(action="account.unlocked").count() == 0

    await verify(client, case)
    done = await act(client, UNLOCK, case)
    assert done["errors"] == [] and done["login"]["locked"] is False and done["login"]["lockedUntil"] is None
    assert done["sentTo"] == "j***@example.com"
    signed_in = await sign_in_attempt(client, "jane")
    assert signed_in["errors"] == [] and signed_in["token"] and signed_in["nextStep"] == "DONE"

    event = await AuditEvent.get(action="account.unlocked")
    assert (event.actor_id, event.subject_id, event.details) == (
        staff.id, user.id, {"case_id": case.id, "customer_id": customer.id})
    [mail] = by_subject(await mailbox.deliver(), "Your autofin account was unlocked")
    assert mail["To"] == "jane@example.com" and "jane" in mailbox.text(mail)

    client.token = signed_in["token"]
    events = [e["node"] for e in (await client.execute(EVENTS))["viewer"]["securityEvents"]["edges"]]
    unlocked = [e for e in events if e["action"] == "account.unlocked"]
    assert unlocked == [{"action": "account.unlocked", "description": "Account unlocked", "byStaff": True}]
    assert any(e["action"] == "support.identity_verified" and e["byStaff"] for e in events)


async def test_unlocking_a_login_that_is_not_locked_changes_nothing(client, services, mailbox):
    customer, _ = await customer_with_login(services, "jane")
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    await verify(client, case)
    assert codes(await act(client, UNLOCK, case)) == ["INVALID"]
    assert await AuditEvent.filter(action="account.unlocked").count() == 0
    assert await mailbox.deliver() == []


async def test_a_verification_lasts_30_minutes(client, services, clock):
    customer, _ = await customer_with_login(services, "jane")
    case = await make_case(services, customer)
    await lock_out(services, "jane")
    await sign_in_staff(client, services)
    await verify(client, case)
    clock.advance(timedelta(minutes=14))
    await sign_in_staff(client, services)  # the staff session's idle timeout is 15 minutes
    clock.advance(timedelta(minutes=14))
    await sign_in_staff(client, services)
    clock.advance(timedelta(minutes=2))
    assert codes(await act(client, UNLOCK, case)) == ["VERIFICATION_REQUIRED"]
    assert await attempts.locked_until(login_rules.user_key("jane"), clock=clock) is not None


async def test_a_verification_allows_nothing_through_another_case_or_on_another_customer(client, services):
    customer, _ = await customer_with_login(services, "jane")
    other, _ = await customer_with_login(services, "omar")
    case_a, case_b = await make_case(services, customer), await make_case(services, customer)
    other_case = await make_case(services, other)
    await lock_out(services, "jane")
    await lock_out(services, "omar")
    await sign_in_staff(client, services)
    await verify(client, case_a)
    assert codes(await act(client, UNLOCK, case_b)) == ["VERIFICATION_REQUIRED"]
    assert codes(await act(client, UNLOCK, other_case)) == ["VERIFICATION_REQUIRED"]
    assert codes(await act(client, RESET_MFA, other_case)) == ["VERIFICATION_REQUIRED"]
    assert codes(await sign_in_attempt(client, "omar")) == ["LOCKED"]
    assert codes(await sign_in_attempt(client, "jane")) == ["LOCKED"]
    assert (await act(client, UNLOCK, case_a))["errors"] == []


async def test_an_unknown_case_is_not_found_and_customers_cannot_act(client, services):
    customer, user = await customer_with_login(services, "jane")
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    payload = (await client.execute(UNLOCK, {"input": {"caseId": "Q2FzZTo5OTk5OTk="}}))["supportUnlockAccount"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["caseId"])]
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token
    for mutation, extra in ((UNLOCK, {}), (RESET_MFA, {}), (RESEND, {"kind": "REGISTRATION"})):
        body = (await client.post(mutation, {"input": {"caseId": case_gid(case), **extra}})).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- reset MFA -----------------------------------------------------------------------------------

async def test_an_mfa_reset_signs_out_every_device_and_the_next_sign_in_needs_no_code(client, services, mailbox, clock):
    customer, user = await customer_with_login(services, "jane")
    secret = totp.new_secret()
    await User.filter(id=user.id).update(mfa_secret_encrypted=totp.encrypt_secret(services.cipher, secret),
                                         mfa_enabled_at=clock.now())
    await totp.replace_recovery_codes(user)
    device = await start_session(user, kind=SessionKind.BEARER, clock=clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="Phone/1.0")
    assert (await sign_in_attempt(client, "jane"))["nextStep"] == "MFA_REQUIRED"
    case = await make_case(services, customer)
    staff = await sign_in_staff(client, services)
    assert codes(await act(client, RESET_MFA, case)) == ["VERIFICATION_REQUIRED"]
    await verify(client, case)

    done = await act(client, RESET_MFA, case)
    assert done["errors"] == [] and done["login"]["mfaEnabled"] is False
    row = await User.get(id=user.id)
    assert (row.mfa_secret_encrypted, row.mfa_enabled_at, row.mfa_last_step) == (None, None, None)
    assert await RecoveryCode.filter(user_id=user.id).count() == 0
    assert (await Session.get(id=device.session.id)).revoked_at == clock.now()
    event = await AuditEvent.get(action="mfa.reset")
    assert (event.actor_id, event.subject_id, event.details["sessions_revoked"]) == (staff.id, user.id, 1)
    [alert] = by_subject(await mailbox.deliver(), "Two-step verification was reset")
    assert alert["To"] == "jane@example.com"

    signed_in = await sign_in_attempt(client, "jane")  # a customer without MFA: the password is enough
    assert signed_in["errors"] == [] and signed_in["nextStep"] == "DONE"
    client.token = signed_in["token"]
    events = [e["node"] for e in (await client.execute(EVENTS))["viewer"]["securityEvents"]["edges"]]
    assert {"action": "mfa.reset", "description": "Two-step verification reset", "byStaff": True} in events

    await sign_in_staff(client, services)
    assert codes(await act(client, RESET_MFA, case)) == ["INVALID"]  # already off


# -- resending emails ----------------------------------------------------------------------------

async def test_a_customer_without_a_login_gets_a_registration_link_that_works(client, services, mailbox):
    customer = await factories.customer(services, email="nolog@example.com")
    case = await make_case(services, customer)
    staff = await sign_in_staff(client, services)
    assert codes(await act(client, RESEND, case, kind="REGISTRATION")) == ["VERIFICATION_REQUIRED"]
    await verify(client, case)
    assert codes(await act(client, UNLOCK, case)) == ["INVALID"]  # no login to unlock
    sent = await act(client, RESEND, case, kind="REGISTRATION")
    assert sent["errors"] == [] and sent["sentTo"] == "n***@example.com" and sent["login"] is None
    [mail] = await mailbox.deliver()
    assert mail["To"] == "nolog@example.com"
    event = await AuditEvent.get(action="support.registration_link_sent")
    assert (event.actor_id, event.subject_id, event.details["customer_id"]) == (staff.id, None, customer.id)

    client.token = None
    done = (await client.execute(COMPLETE_LINK, {"t": mailbox.link_param(mail), "u": "nolog",
                                                 "p": "a long and unusual passphrase 42"}))["completeRegistrationLink"]
    assert done["errors"] == [] and (await User.get(username="nolog")).customer_id == customer.id


async def test_an_unconfirmed_registration_gets_its_verification_link_again(client, services, mailbox, clock):
    customer = await factories.customer(services)
    await one_time_tokens.issue(TokenPurpose.EMAIL_VERIFICATION, clock=clock, ttl=timedelta(hours=24),
                                customer=customer, payload={"username": "pat.new", "email": "pat.new@example.net",
                                                            "password_hash": services.passwords.hash_sync("x" * 20)})
    clock.advance(timedelta(hours=30))  # the first link has expired
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    await verify(client, case)
    sent = await act(client, RESEND, case, kind="VERIFICATION")
    assert sent["errors"] == [] and sent["sentTo"] == "p***@example.net"
    [mail] = await mailbox.deliver()
    assert mail["To"] == "pat.new@example.net"
    client.token = None
    done = (await client.execute(VERIFY_EMAIL, {"t": mailbox.link_param(mail)}))["verifyEmail"]
    assert done["errors"] == [] and done["username"] == "pat.new"


async def test_nothing_is_resent_to_a_customer_who_has_a_login_or_never_registered(client, services, mailbox):
    customer, _ = await customer_with_login(services, "jane")
    stranger = await factories.customer(services, date_of_birth=date(1985, 4, 12))
    case, stranger_case = await make_case(services, customer), await make_case(services, stranger)
    await sign_in_staff(client, services)
    await verify(client, case)
    await verify(client, stranger_case)
    for kind in ("VERIFICATION", "REGISTRATION"):
        assert codes(await act(client, RESEND, case, kind=kind)) == ["CONFLICT"]
    assert codes(await act(client, RESEND, stranger_case, kind="VERIFICATION")) == ["INVALID"]
    assert await mailbox.deliver() == []


# -- concurrency (PostgreSQL) --------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_two_unlocks_at_once_unlock_once(client, services, mailbox):
    customer, _ = await customer_with_login(services, "jane")
    case = await make_case(services, customer)
    await lock_out(services, "jane")
    await sign_in_staff(client, services)
    await verify(client, case)
    results = await asyncio.gather(*(act(client, UNLOCK, case) for _ in range(3)))
    assert sorted(codes(r)[0] if r["errors"] else "OK" for r in results) == ["INVALID", "INVALID", "OK"]
    assert await AuditEvent.filter(action="account.unlocked").count() == 1
    assert len(await mailbox.deliver()) == 1
