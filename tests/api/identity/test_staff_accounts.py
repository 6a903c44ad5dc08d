"""Staff accounts created by an admin (mutation and CLI), with an emailed set-up link."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from strawberry import relay

from auth.sessions import start_session
from models import AuditEvent, OneTimeToken, OutboxMessage, User
from models.enums import Role, SessionKind, TokenPurpose
from tests import factories

STRONG = "violet harbor tractor 91"
CREATE = """mutation($i: CreateStaffUserInput!) {
  createStaffUser(input: $i) { user { username role maskedEmail } errors { code message field } }
}"""
SETUP = """mutation($t: String!, $p: String!) {
  completeStaffSetup(input: {token: $t, password: $p}) { message errors { code message field } }
}"""
ROOT = Path(__file__).resolve().parents[3]


async def sign_in(client, services, user) -> None:
    """A full bearer session made directly: the staff MFA rules of sign-in are tested with login."""
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


@pytest.fixture
async def admin(client, services):
    user = await factories.user(services, "root.admin", Role.ADMIN)
    await sign_in(client, services, user)
    return user


def dealership_gid(dealership) -> str:
    return str(relay.GlobalID("Dealership", str(dealership.id)))


async def create(client, **values) -> dict:
    return (await client.execute(CREATE, {"i": values}))["createStaffUser"]


async def test_admin_creates_a_dealer_user_who_sets_a_password_once(client, services, mailbox, admin):
    dealer = await factories.dealership(name="Sunrise Motors")
    payload = await create(client, username="Sam.Sales", email="sam@sunrise.example", role="DEALER_USER",
                           dealershipId=dealership_gid(dealer))
    assert payload == {"user": {"username": "sam.sales", "role": "DEALER_USER", "maskedEmail": "s***@sunrise.example"},
                       "errors": []}
    user = await User.get(username="sam.sales")
    assert user.dealership_id == dealer.id and user.is_active and user.email_verified_at is None
    assert not (await services.passwords.verify(user.password_hash, ""))[0]

    [message] = await mailbox.deliver()
    assert message["To"] == "sam@sunrise.example" and message["Subject"] == "Set up your autofin staff account"
    assert "Sunrise Motors" in mailbox.text(message) and "MFA" in mailbox.text(message)
    token = mailbox.link_param(message)
    event = await AuditEvent.get(action="staff.created")
    assert (event.actor_id, event.subject_id) == (admin.id, user.id)

    client.token = None
    done = (await client.execute(SETUP, {"t": token, "p": STRONG}))["completeStaffSetup"]
    assert done["errors"] == [] and "MFA" in done["message"]
    user = await User.get(id=user.id)
    assert (await services.passwords.verify(user.password_hash, STRONG))[0]
    assert user.email_verified_at == user.password_changed_at == services.clock.now()

    again = (await client.execute(SETUP, {"t": token, "p": "quiet lantern meadow 4417"}))["completeStaffSetup"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]
    assert (await services.passwords.verify((await User.get(id=user.id)).password_hash, STRONG))[0]


async def test_a_staff_role_without_dealership(client, services, mailbox, admin):
    payload = await create(client, username="uw1", email="uw1@autofin.example", role="UNDERWRITER")
    assert payload["errors"] == [] and payload["user"]["role"] == "UNDERWRITER"
    assert (await User.get(username="uw1")).dealership_id is None


@pytest.mark.parametrize("role", [None, Role.CUSTOMER, Role.DEALER_ADMIN, Role.SUPPORT, Role.SUPPORT_LEAD,
                                  Role.UNDERWRITER, Role.ANALYST])
async def test_only_admins_create_staff(client, services, role):
    if role is not None:
        links = {}
        if role == Role.CUSTOMER:
            links = {"customer": await factories.customer(services)}
        elif role == Role.DEALER_ADMIN:
            links = {"dealership": await factories.dealership()}
        await sign_in(client, services, await factories.user(services, "caller", role, **links))
    body = (await client.post(CREATE, {"i": {"username": "x.y", "email": "x@y.example", "role": "ADMIN"}})).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await User.filter(username="x.y").exists()


@pytest.mark.parametrize("values, expected", [
    ({"role": "CUSTOMER"}, [("INVALID", ["role"])]),
    ({"role": "DEALER_ADMIN"}, [("INVALID", ["dealershipId"])]),
    ({"role": "SUPPORT", "dealershipId": "DEALER"}, [("INVALID", ["dealershipId"])]),
    ({"role": "DEALER_USER", "dealershipId": str(relay.GlobalID("Dealership", "999999"))},
     [("NOT_FOUND", ["dealershipId"])]),
    ({"role": "DEALER_USER", "dealershipId": "garbage"}, [("NOT_FOUND", ["dealershipId"])]),
    ({"role": "SUPPORT", "username": "a"}, [("INVALID", ["username"])]),
    ({"role": "SUPPORT", "email": "nope"}, [("INVALID", ["email"])]),
    ({"role": "SUPPORT", "username": "Root.Admin"}, [("CONFLICT", ["username"])]),
])
async def test_invalid_staff_input_changes_nothing(client, services, mailbox, admin, values, expected):
    payload = await create(client, **{"username": "new.one", "email": "new@autofin.example", **values})
    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == expected
    assert await User.all().count() == 1 and await OneTimeToken.all().count() == 0
    assert await OutboxMessage.all().count() == 0 and await AuditEvent.filter(action="staff.created").count() == 0


async def test_setup_link_expires_after_72_hours(client, services, mailbox, admin, clock):
    await create(client, username="sup1", email="sup1@autofin.example", role="SUPPORT")
    [message] = await mailbox.deliver()
    clock.advance(timedelta(hours=72))
    client.token = None
    payload = (await client.execute(SETUP, {"t": mailbox.link_param(message), "p": STRONG}))["completeStaffSetup"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID_TOKEN"]


async def test_setup_refuses_a_weak_password_and_the_link_stays_usable(client, services, mailbox, admin):
    await create(client, username="sup1", email="sup1@autofin.example", role="SUPPORT")
    [message] = await mailbox.deliver()
    token = mailbox.link_param(message)
    client.token = None
    for weak in ("password1234", "sup1sup1sup1sup1", "short"):
        payload = (await client.execute(SETUP, {"t": token, "p": weak}))["completeStaffSetup"]
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("WEAK_PASSWORD", ["password"])]
    assert await OneTimeToken.filter(purpose=TokenPurpose.STAFF_SETUP, used_at=None).count() == 1
    assert (await client.execute(SETUP, {"t": token, "p": STRONG}))["completeStaffSetup"]["errors"] == []


def run_cli(settings_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


async def test_cli_creates_staff_with_the_same_rule(services, settings_env):
    dealer = await factories.dealership(code="SUN01")
    result = run_cli(settings_env, "create-staff", "--username", "Dee.Admin", "--email", "dee@sunrise.example",
                     "--role", "DEALER_ADMIN", "--dealership", "SUN01")
    assert result.returncode == 0, result.stderr
    assert "set-up link" in result.stdout and "d***@sunrise.example" in result.stdout
    user = await User.get(username="dee.admin")
    assert (user.role, user.dealership_id) == (Role.DEALER_ADMIN, dealer.id)
    assert await OutboxMessage.filter(template="staff_setup", recipient="dee@sunrise.example").count() == 1
    event = await AuditEvent.get(action="staff.created")
    assert event.actor_id is None and event.details["via"] == "cli"

    refused = run_cli(settings_env, "create-staff", "--username", "x.y", "--email", "x@y.example",
                      "--role", "DEALER_USER", "--dealership", "NOPE")
    assert refused.returncode == 1 and "NOT_FOUND" in refused.stderr
    assert not await User.filter(username="x.y").exists()
