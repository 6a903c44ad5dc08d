"""Step-up re-authentication, password change and email change through /graphql, with the alert
mail read back from a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from auth import totp
from auth.sessions import start_session
from models import AttemptCounter, AuditEvent, Customer, OneTimeToken, OutboxMessage, Session, User
from models.enums import Role, SessionKind, TokenPurpose
from tests import factories

NEW_PASSWORD = "violet kettle sings at dawn"
REAUTH = """mutation($p: String, $c: String) {
  reauthenticate(input: {password: $p, totpCode: $c}) { reauthenticatedUntil errors { code message field } }
}"""
CHANGE_PASSWORD = """mutation($old: String!, $new: String!) {
  changePassword(input: {currentPassword: $old, newPassword: $new}) {
    viewer { username } errors { code message field }
  }
}"""
CHANGE_EMAIL = """mutation($e: String!) {
  changeEmail(input: {newEmail: $e}) { pendingEmail errors { code message field } }
}"""
CONFIRM_EMAIL = """mutation($t: String!) {
  confirmEmailChange(input: {token: $t}) { maskedEmail errors { code message field } }
}"""
LOGIN = """mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p, mode: BEARER}) { token errors { code } }
}"""
VIEWER = "{ viewer { username maskedEmail } }"


async def customer_login(services, username: str) -> User:
    owner = await factories.customer(services, email=f"{username}.contracts@example.com")
    return await factories.user(services, username, Role.CUSTOMER, customer=owner)


async def sign_in(client, username: str, user_agent: str = "Browser/1.0") -> str:
    client.headers["user-agent"] = user_agent
    await client.login(username, factories.TEST_PASSWORD)
    return client.token


def errors_of(data: dict, field: str) -> list[dict]:
    return data[field]["errors"]


async def password_hash_of(user: User) -> str:
    return (await User.get(id=user.id)).password_hash


def by_subject(messages, subject: str) -> list:
    return [m for m in messages if m["Subject"] == subject]


# -- step-up ------------------------------------------------------------------------------------

async def test_sensitive_changes_need_a_recent_reauthentication(client, services, clock):
    carla = await customer_login(services, "carla")
    await sign_in(client, "carla")
    clock.advance(timedelta(minutes=6))  # signing in counted as a step-up, but 6 minutes ago
    before = await password_hash_of(carla)
    data = await client.execute(CHANGE_PASSWORD, {"old": factories.TEST_PASSWORD, "new": NEW_PASSWORD})
    assert data["changePassword"]["viewer"] is None
    assert [e["code"] for e in errors_of(data, "changePassword")] == ["REAUTHENTICATION_REQUIRED"]
    assert await password_hash_of(carla) == before

    data = await client.execute(REAUTH, {"p": factories.TEST_PASSWORD})
    assert data["reauthenticate"] == {"reauthenticatedUntil": "2026-11-02T15:11:00+00:00", "errors": []}
    assert (await AuditEvent.filter(action="reauth.succeeded").first()).details == {"method": "password"}
    clock.advance(timedelta(minutes=4))
    data = await client.execute(CHANGE_PASSWORD, {"old": factories.TEST_PASSWORD, "new": NEW_PASSWORD})
    assert errors_of(data, "changePassword") == []


async def test_the_step_up_window_expires_after_five_minutes(client, services, clock):
    await customer_login(services, "carla")
    await sign_in(client, "carla")
    assert errors_of(await client.execute(REAUTH, {"p": factories.TEST_PASSWORD}), "reauthenticate") == []
    clock.advance(timedelta(minutes=6))
    data = await client.execute(CHANGE_EMAIL, {"e": "carla.new@example.com"})
    assert [e["code"] for e in errors_of(data, "changeEmail")] == ["REAUTHENTICATION_REQUIRED"]
    assert await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE).count() == 0


async def test_reauthenticate_takes_exactly_one_proof(client, services):
    await customer_login(services, "carla")
    await sign_in(client, "carla")
    for variables in ({}, {"p": factories.TEST_PASSWORD, "c": "123456"}):
        data = await client.execute(REAUTH, variables)
        assert [e["code"] for e in errors_of(data, "reauthenticate")] == ["INVALID"]
    # A code from a user without two-step verification is refused, and counts nothing.
    data = await client.execute(REAUTH, {"c": "123456"})
    assert errors_of(data, "reauthenticate")[0]["field"] == ["totpCode"]
    assert await AttemptCounter.filter(key="login:user:carla", failures__gt=0).count() == 0


async def test_a_wrong_password_at_reauthentication_counts_as_a_failed_sign_in(client, services, clock):
    await customer_login(services, "carla")
    await sign_in(client, "carla")
    clock.advance(timedelta(minutes=6))
    data = await client.execute(REAUTH, {"p": "not my password at all"})
    assert data["reauthenticate"]["reauthenticatedUntil"] is None
    assert errors_of(data, "reauthenticate") == [
        {"code": "INVALID_CREDENTIALS", "message": "That password is not correct.", "field": ["password"]}
    ]
    assert (await AttemptCounter.get(key="login:user:carla")).failures == 1
    assert (await AuditEvent.filter(action="reauth.failed").count()) == 1
    # Not re-authenticated by the failure.
    data = await client.execute(CHANGE_EMAIL, {"e": "carla.new@example.com"})
    assert [e["code"] for e in errors_of(data, "changeEmail")] == ["REAUTHENTICATION_REQUIRED"]


async def test_reauthentication_cannot_be_used_to_brute_force_the_password(client, services, mailbox):
    await customer_login(services, "carla")
    await sign_in(client, "carla")
    codes = []
    for _ in range(10):
        codes.append(errors_of(await client.execute(REAUTH, {"p": "wrong password guess"}), "reauthenticate")[0]["code"])
    assert codes == ["INVALID_CREDENTIALS"] * 9 + ["LOCKED"]
    # Locked: even the right password is refused here and at sign-in.
    right = await client.execute(REAUTH, {"p": factories.TEST_PASSWORD})
    assert [e["code"] for e in errors_of(right, "reauthenticate")] == ["LOCKED"]
    client.token = None
    login = await client.execute(LOGIN, {"u": "carla", "p": factories.TEST_PASSWORD})
    assert login["login"]["token"] is None and login["login"]["errors"][0]["code"] == "LOCKED"
    assert await AuditEvent.filter(action="login.locked").count() == 1


async def test_reauthenticate_with_a_totp_code_once(client, services, clock):
    carla = await customer_login(services, "carla")
    secret = totp.new_secret()
    await User.filter(id=carla.id).update(mfa_secret_encrypted=totp.encrypt_secret(services.cipher, secret),
                                          mfa_enabled_at=clock.now())
    carla = await User.get(id=carla.id)
    # With MFA on, sign-in takes two steps; a session made directly stands in for it here.
    issued = await start_session(carla, kind=SessionKind.BEARER, clock=clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="Browser/1.0")
    client.token = issued.token
    code = totp.current_code(secret, clock)
    wrong = "000000" if code != "000000" else "111111"

    data = await client.execute(REAUTH, {"c": wrong})
    assert errors_of(data, "reauthenticate")[0]["code"] == "INVALID_CODE"
    assert (await AttemptCounter.get(key="login:user:carla")).failures == 1
    data = await client.execute(REAUTH, {"c": code})
    assert errors_of(data, "reauthenticate") == []
    assert (await AuditEvent.filter(action="reauth.succeeded").first()).details == {"method": "totp"}
    replay = await client.execute(REAUTH, {"c": code})
    assert errors_of(replay, "reauthenticate")[0]["code"] == "INVALID_CODE"


# -- password -------------------------------------------------------------------------------------

async def test_changing_the_password_signs_out_other_devices_and_alerts(client, services, clock, mailbox):
    carla = await customer_login(services, "carla")
    phone = await sign_in(client, "carla", "Phone/1.0")
    laptop = await sign_in(client, "carla", "Laptop/2.0")
    await mailbox.deliver()  # whatever signing in sent
    data = await client.execute(CHANGE_PASSWORD, {"old": factories.TEST_PASSWORD, "new": NEW_PASSWORD})
    assert data["changePassword"] == {"viewer": {"username": "carla"}, "errors": []}

    row = await User.get(id=carla.id)
    assert row.password_changed_at == clock.now()
    client.token = phone
    assert (await client.execute(VIEWER))["viewer"] is None  # the other device is signed out
    client.token = laptop
    assert (await client.execute(VIEWER))["viewer"]["username"] == "carla"  # this one stays
    assert (await Session.get(user_agent="Phone/1.0")).revoked_at == clock.now()

    client.token = None
    old = await client.execute(LOGIN, {"u": "carla", "p": factories.TEST_PASSWORD})
    assert old["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    new = await client.execute(LOGIN, {"u": "carla", "p": NEW_PASSWORD})
    assert new["login"]["errors"] == [] and new["login"]["token"]

    alerts = by_subject(await mailbox.deliver(), "Your autofin password was changed")
    assert len(alerts) == 1 and alerts[0]["To"] == "carla@example.com"
    text = mailbox.text(alerts[0])
    assert "1 other signed-in device was signed out" in text and NEW_PASSWORD not in text
    event = await AuditEvent.get(action="password.changed")
    assert event.subject_id == carla.id and event.details == {"sessions_revoked": 1}


async def test_password_change_refusals_change_nothing(client, services, clock):
    carla = await customer_login(services, "carla")
    other = await sign_in(client, "carla", "Phone/1.0")
    await sign_in(client, "carla", "Laptop/2.0")
    before = await password_hash_of(carla)

    wrong = await client.execute(CHANGE_PASSWORD, {"old": "not the password", "new": NEW_PASSWORD})
    assert errors_of(wrong, "changePassword") == [{"code": "INVALID_CREDENTIALS",
                                                   "message": "Your current password is not correct.",
                                                   "field": ["currentPassword"]}]
    assert (await AttemptCounter.get(key="login:user:carla")).failures == 1
    for weak in ("password1234", "carla carla carla", factories.TEST_PASSWORD, "short"):
        data = await client.execute(CHANGE_PASSWORD, {"old": factories.TEST_PASSWORD, "new": weak})
        assert [(e["code"], e["field"]) for e in errors_of(data, "changePassword")] == [
            ("WEAK_PASSWORD", ["newPassword"])
        ], weak
    assert await password_hash_of(carla) == before
    assert (await User.get(id=carla.id)).password_changed_at is None
    assert await OutboxMessage.filter(template="password_changed_by_user").count() == 0
    client.token = other
    assert (await client.execute(VIEWER))["viewer"] is not None


async def test_signed_out_callers_cannot_change_the_password(client):
    body = (await client.post(CHANGE_PASSWORD, {"old": "a", "new": "b"})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- email ----------------------------------------------------------------------------------------

async def test_changing_the_email_by_link_to_the_new_address(client, services, clock, mailbox):
    carla = await customer_login(services, "carla")
    await sign_in(client, "carla")
    await mailbox.deliver()
    data = await client.execute(CHANGE_EMAIL, {"e": "  Carla.New@Example.COM "})
    assert data["changeEmail"] == {"pendingEmail": "C***@example.com", "errors": []}
    assert (await User.get(id=carla.id)).email == "carla@example.com"  # nothing changes before the link

    sent = await mailbox.deliver()
    [verify] = by_subject(sent, "Confirm your new autofin email address")
    [warning] = by_subject(sent, "A change of your autofin email address was requested")
    assert verify["To"] == "Carla.New@example.com"
    assert warning["To"] == "carla@example.com" and "C***@example.com" in mailbox.text(warning)
    token = mailbox.link_param(verify)
    assert "/confirm-email-change?" in mailbox.text(verify)

    client.token = None  # the link may be opened anywhere, signed in or not
    confirmed = await client.execute(CONFIRM_EMAIL, {"t": token})
    assert confirmed["confirmEmailChange"] == {"maskedEmail": "C***@example.com", "errors": []}
    row = await User.get(id=carla.id)
    assert row.email == "Carla.New@example.com" and row.email_verified_at == clock.now()
    # The contact email on the contracts is a separate thing and stays as it was.
    assert (await Customer.get(id=carla.customer_id)).email == "carla.contracts@example.com"

    [changed] = by_subject(await mailbox.deliver(), "Your autofin email address was changed")
    assert changed["To"] == "carla@example.com"
    event = await AuditEvent.get(action="email.changed")
    assert event.subject_id == carla.id
    assert event.details == {"old_email": "c***@example.com", "new_email": "C***@example.com"}

    again = await client.execute(CONFIRM_EMAIL, {"t": token})
    assert again["confirmEmailChange"]["maskedEmail"] is None
    assert [e["code"] for e in errors_of(again, "confirmEmailChange")] == ["INVALID_TOKEN"]


async def test_only_the_newest_email_link_works_and_only_for_a_day(client, services, clock, mailbox):
    carla = await customer_login(services, "carla")
    await sign_in(client, "carla")
    await mailbox.deliver()
    await client.execute(CHANGE_EMAIL, {"e": "first@example.com"})
    await client.execute(CHANGE_EMAIL, {"e": "second@example.com"})
    sent = by_subject(await mailbox.deliver(), "Confirm your new autofin email address")
    links = {m["To"]: mailbox.link_param(m) for m in sent}
    client.token = None
    stale = await client.execute(CONFIRM_EMAIL, {"t": links["first@example.com"]})
    assert [e["code"] for e in errors_of(stale, "confirmEmailChange")] == ["INVALID_TOKEN"]
    clock.advance(timedelta(hours=24))
    late = await client.execute(CONFIRM_EMAIL, {"t": links["second@example.com"]})
    assert [e["code"] for e in errors_of(late, "confirmEmailChange")] == ["INVALID_TOKEN"]
    assert (await User.get(id=carla.id)).email == "carla@example.com"


async def test_email_change_refusals_send_nothing(client, services):
    await customer_login(services, "carla")
    await sign_in(client, "carla")
    for bad in ("not an address", "a@b", "x" * 250 + "@example.com", "a@example.com\r\nBcc: x@example.com"):
        data = await client.execute(CHANGE_EMAIL, {"e": bad})
        assert [(e["code"], e["field"]) for e in errors_of(data, "changeEmail")] == [("INVALID", ["newEmail"])], bad
    same = await client.execute(CHANGE_EMAIL, {"e": "CARLA@example.com"})
    assert [e["code"] for e in errors_of(same, "changeEmail")] == ["INVALID"]
    assert await OutboxMessage.filter(template__startswith="email_change").count() == 0
    assert await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE).count() == 0

    client.token = None
    body = (await client.post(CHANGE_EMAIL, {"e": "x@example.com"})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await client.execute(CONFIRM_EMAIL, {"t": "made-up-token"})
    assert [e["code"] for e in errors_of(unknown, "confirmEmailChange")] == ["INVALID_TOKEN"]
