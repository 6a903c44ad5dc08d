"""Forgot password and forgot user ID through /graphql, with mail delivered over real SMTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import AuditEvent, OneTimeToken, Session, User
from models.enums import Role, TokenPurpose
from resolvers.identity.recovery import REMINDER_MESSAGE, RESET_MESSAGE
from tests import factories

NEW = "glacier pepper nimbus 77"
REQUEST = """mutation($w: String!) {
  requestPasswordReset(input: {usernameOrEmail: $w}) { message errors { code message field } }
}"""
RESET = """mutation($t: String!, $p: String!) {
  resetPassword(input: {token: $t, newPassword: $p}) { message errors { code message field } }
}"""
REMIND = """mutation($e: String!) {
  requestUsernameReminder(input: {email: $e}) { message errors { code message field } }
}"""
VIEWER = "{ viewer { username } }"


@pytest.fixture
async def jane(services):
    owner = await factories.customer(services, email="jane@example.com")
    return await factories.user(services, "jane", Role.CUSTOMER, customer=owner)


async def request_reset(client, who: str) -> dict:
    return (await client.execute(REQUEST, {"w": who}))["requestPasswordReset"]


async def reset(client, token: str, password: str) -> dict:
    return (await client.execute(RESET, {"t": token, "p": password}))["resetPassword"]


async def test_reset_changes_the_password_revokes_every_session_and_alerts(client, services, mailbox, jane):
    await client.login("jane", factories.TEST_PASSWORD)
    other_device = client.token
    await client.login("jane", factories.TEST_PASSWORD)
    await mailbox.deliver()  # whatever sign-in sent
    client.token = None

    assert await request_reset(client, "JANE@example.com") == {"message": RESET_MESSAGE, "errors": []}
    [message] = await mailbox.deliver()
    assert message["To"] == "jane@example.com" and message["Subject"] == "Reset your autofin password"
    assert "jane" in mailbox.text(message)
    token = mailbox.link_param(message)

    done = await reset(client, token, NEW)
    assert done["errors"] == [] and "MFA" not in done["message"] and "two-step" in done["message"]
    assert await Session.filter(user_id=jane.id, revoked_at=None).count() == 0
    assert await Session.filter(user_id=jane.id).count() == 2
    client.token = other_device
    assert (await client.execute(VIEWER))["viewer"] is None  # a bearer token from before stops working
    client.token = None

    [alert] = await mailbox.deliver()
    assert alert["To"] == "jane@example.com" and alert["Subject"] == "Your autofin password was changed"
    user = await User.get(id=jane.id)
    assert user.password_changed_at == services.clock.now()
    assert (await services.passwords.verify(user.password_hash, NEW))[0]
    assert not (await services.passwords.verify(user.password_hash, factories.TEST_PASSWORD))[0]

    again = await reset(client, token, "another fine passphrase 12")
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]
    await client.login("jane", NEW)
    event = await AuditEvent.get(action="password.reset")
    assert event.subject_id == jane.id and event.details == {"sessions_revoked": 2}


async def test_reset_does_not_sign_in(client, services, mailbox, jane):
    await request_reset(client, "jane")
    [message] = await mailbox.deliver()
    response = await client.post(RESET, {"t": mailbox.link_param(message), "p": NEW})
    assert "set-cookie" not in response.headers
    assert response.json()["data"]["resetPassword"]["errors"] == []
    assert await Session.all().count() == 0


async def test_reset_link_expires_after_30_minutes(client, services, mailbox, jane, clock):
    await request_reset(client, "jane")
    [message] = await mailbox.deliver()
    clock.advance(timedelta(minutes=30))
    payload = await reset(client, mailbox.link_param(message), NEW)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_TOKEN", ["token"])]
    assert (await User.get(id=jane.id)).password_hash == jane.password_hash


async def test_a_new_request_voids_the_older_link(client, services, mailbox, jane):
    await request_reset(client, "jane")
    await request_reset(client, "jane@example.com")
    first, second = await mailbox.deliver()
    assert [e["code"] for e in (await reset(client, mailbox.link_param(first), NEW))["errors"]] == ["INVALID_TOKEN"]
    assert (await reset(client, mailbox.link_param(second), NEW))["errors"] == []


async def test_a_weak_new_password_is_refused_and_changes_nothing(client, services, mailbox, jane):
    await client.login("jane", factories.TEST_PASSWORD)
    session_token = client.token
    client.token = None
    await request_reset(client, "jane")
    [message] = [m for m in await mailbox.deliver() if m["Subject"] == "Reset your autofin password"]
    token = mailbox.link_param(message)
    for weak in ("password1234", "jane@example.com!", "too short"):
        payload = await reset(client, token, weak)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("WEAK_PASSWORD", ["newPassword"])]
    assert (await User.get(id=jane.id)).password_hash == jane.password_hash
    assert await Session.filter(user_id=jane.id, revoked_at=None).count() == 1
    client.token = session_token
    assert (await client.execute(VIEWER))["viewer"] == {"username": "jane"}
    assert await mailbox.deliver() == []
    client.token = None
    assert (await reset(client, token, NEW))["errors"] == []  # the link was not spent


@pytest.mark.parametrize("known, unknown", [("jane", "nobody"), ("jane@example.com", "nobody@example.com")])
async def test_known_and_unknown_get_byte_identical_answers(client, services, mailbox, jane, known, unknown):
    known_response = await client.post(REQUEST, {"w": known})
    unknown_response = await client.post(REQUEST, {"w": unknown})
    assert known_response.content == unknown_response.content
    assert known_response.status_code == unknown_response.status_code == 200
    assert [m["To"] for m in await mailbox.deliver()] == ["jane@example.com"]
    assert await OneTimeToken.filter(purpose=TokenPurpose.PASSWORD_RESET).count() == 1


async def test_inactive_users_get_no_reset_link(client, services, mailbox, jane):
    await User.filter(id=jane.id).update(is_active=False)
    assert await request_reset(client, "jane") == {"message": RESET_MESSAGE, "errors": []}
    assert await mailbox.deliver() == []


async def test_reset_requests_are_limited_per_identifier_and_per_ip(client, services, mailbox, jane, clock):
    for _ in range(5):
        assert (await request_reset(client, "Jane"))["errors"] == []
    limited = await request_reset(client, "jane")
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"] and limited["message"] is None
    assert len(await mailbox.deliver()) == 5

    for n in range(14):  # 20 per IP in all
        assert (await request_reset(client, f"someone{n}"))["errors"] == []
    assert [e["code"] for e in (await request_reset(client, "fresh.name"))["errors"]] == ["RATE_LIMITED"]
    clock.advance(timedelta(hours=1))
    assert (await request_reset(client, "jane"))["errors"] == []


async def test_empty_identifier_is_invalid(client, services):
    payload = await request_reset(client, "   ")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", ["usernameOrEmail"])]


async def test_username_reminder_mails_every_user_id_of_the_address(client, services, mailbox, jane):
    await factories.user(services, "jane.work", Role.SUPPORT)
    await User.filter(username="jane.work").update(email="Jane@Example.com")
    known = await client.post(REMIND, {"e": "jane@EXAMPLE.com"})
    unknown = await client.post(REMIND, {"e": "nobody@example.com"})
    assert known.content == unknown.content
    assert known.json()["data"]["requestUsernameReminder"] == {"message": REMINDER_MESSAGE, "errors": []}
    [message] = await mailbox.deliver()
    assert message["To"] == "jane@example.com" and message["Subject"] == "Your autofin user ID"
    text = mailbox.text(message)
    assert "  jane\r\n" in text and "  jane.work\r\n" in text
    assert await AuditEvent.filter(action="username.reminder_sent").count() == 2


async def test_username_reminder_checks_the_address_and_is_rate_limited(client, services, mailbox, jane):
    bad = (await client.execute(REMIND, {"e": "no-at-sign"}))["requestUsernameReminder"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", ["email"])]
    for _ in range(5):
        assert (await client.execute(REMIND, {"e": "jane@example.com"}))["requestUsernameReminder"]["errors"] == []
    limited = (await client.execute(REMIND, {"e": "jane@example.com"}))["requestUsernameReminder"]
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]
    assert len(await mailbox.deliver()) == 5
