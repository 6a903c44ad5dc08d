"""A dealer administrator manages the dealership's logins through /graphql: lists them, adds a
DEALER_USER (emailed set-up link), deactivates (signing them out) and reactivates them; never their
own login nor another dealership's; a DEALER_USER may do none of it."""

from __future__ import annotations

import pytest

from models import AuditEvent, Session, User
from models.enums import Role
from tests import factories
from tests.api.origination import desk
from tests.api.origination.desk import ERRORS, codes
from tests.api.servicing.builders import gid

USER = "user { userId username email role active setUp mfaEnabled }"
LIST = """query($active: Boolean) { dealershipUsers(active: $active) { totalCount
  edges { node { userId username role active } } } }"""
ADD = f"mutation($input: AddDealershipUserInput!) {{ addDealershipUser(input: $input) {{ {USER} {ERRORS} }} }}"
DEACTIVATE = f"""mutation($input: DealershipUserInput!) {{ deactivateDealershipUser(input: $input) {{
  {USER} {ERRORS} }} }}"""
REACTIVATE = f"""mutation($input: DealershipUserInput!) {{ reactivateDealershipUser(input: $input) {{
  {USER} {ERRORS} }} }}"""
SETUP = """mutation($t: String!, $p: String!) { completeStaffSetup(input: {token: $t, password: $p}) {
  message errors { code } } }"""


@pytest.fixture
async def admin(client, services):
    return await desk.dealer(client, services, username="ada", role=Role.DEALER_ADMIN)


async def colleague(admin, services, username: str = "sam", role: Role = Role.DEALER_USER) -> User:
    return await factories.user(services, username, role, dealership_id=admin.dealership_id)


async def test_an_admin_lists_the_dealerships_logins_only(client, services, admin):
    await colleague(admin, services, "sam")
    gone = await colleague(admin, services, "zed")
    await User.filter(id=gone.id).update(is_active=False)
    await factories.user(services, "elsewhere", Role.DEALER_USER, dealership=await factories.dealership())
    await factories.user(services, "uma", Role.UNDERWRITER)
    listed = (await client.execute(LIST))["dealershipUsers"]
    assert [e["node"]["username"] for e in listed["edges"]] == ["ada", "sam", "zed"] and listed["totalCount"] == 3
    active = (await client.execute(LIST, {"active": True}))["dealershipUsers"]
    assert [e["node"]["username"] for e in active["edges"]] == ["ada", "sam"]


async def test_an_admin_adds_a_dealer_user_who_sets_a_password_through_the_emailed_link(
        client, services, mailbox, admin):
    payload = (await client.execute(ADD, {"input": {"username": "New.Seller", "email": "new@sunrise.example"}}))[
        "addDealershipUser"]
    assert payload["errors"] == []
    assert payload["user"] | {"userId": None} == {"userId": None, "username": "new.seller",
                                                 "email": "new@sunrise.example", "role": "DEALER_USER",
                                                 "active": True, "setUp": False, "mfaEnabled": False}
    created = await User.get(username="new.seller")
    assert created.dealership_id == admin.dealership_id and created.role == Role.DEALER_USER
    event = await AuditEvent.get(action="staff.created")
    assert event.actor_id == admin.id and event.details["dealership_id"] == admin.dealership_id

    [mail] = await mailbox.deliver()
    assert mail["To"] == "new@sunrise.example"
    token = mailbox.link_param(mail, "token")
    client.token = None
    done = (await client.execute(SETUP, {"t": token, "p": "a long and unusual passphrase 42"}))["completeStaffSetup"]
    assert done["errors"] == []


async def test_adding_refuses_a_taken_or_malformed_user_id(client, services, admin):
    await colleague(admin, services, "sam")
    taken = (await client.execute(ADD, {"input": {"username": "SAM", "email": "s@x.example"}}))["addDealershipUser"]
    assert codes(taken) == [("CONFLICT", ["username"])]
    bad = (await client.execute(ADD, {"input": {"username": "a", "email": "nope"}}))["addDealershipUser"]
    assert {tuple(f) for _, f in codes(bad)} == {("username",), ("email",)}


async def test_deactivation_signs_the_user_out_and_reactivation_lets_them_back(client, services, admin):
    sam = await colleague(admin, services)
    their_client_token = client.token
    await desk.sign_in(client, services, sam)
    sam_token = client.token
    client.token = their_client_token

    payload = (await client.execute(DEACTIVATE, {"input": {"userId": gid("User", sam.id)}}))[
        "deactivateDealershipUser"]
    assert payload["errors"] == [] and payload["user"]["active"] is False
    assert await Session.filter(user_id=sam.id, revoked_at=None).count() == 0
    event = await AuditEvent.get(action="dealer_user.deactivated")
    assert (event.actor_id, event.subject_id, event.details["sessions_revoked"]) == (admin.id, sam.id, 1)

    client.token = sam_token
    body = (await client.post("{ dealer { dealership { name } } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # signed out: anonymous now
    client.token = their_client_token

    again = (await client.execute(DEACTIVATE, {"input": {"userId": gid("User", sam.id)}}))["deactivateDealershipUser"]
    assert again["errors"] == [] and await AuditEvent.filter(action="dealer_user.deactivated").count() == 1
    back = (await client.execute(REACTIVATE, {"input": {"userId": gid("User", sam.id)}}))["reactivateDealershipUser"]
    assert back["errors"] == [] and back["user"]["active"] is True
    assert (await User.get(id=sam.id)).is_active is True
    assert await AuditEvent.filter(action="dealer_user.activated", subject_id=sam.id).count() == 1


async def test_an_admin_cannot_deactivate_themself_nor_another_dealerships_user(client, services, admin):
    own = (await client.execute(DEACTIVATE, {"input": {"userId": gid("User", admin.id)}}))["deactivateDealershipUser"]
    assert codes(own) == [("FORBIDDEN", ["userId"])]
    elsewhere = await factories.user(services, "elsewhere", Role.DEALER_USER, dealership=await factories.dealership())
    customer = await factories.user(services, "alice", Role.CUSTOMER, customer=await factories.customer(services))
    for target in (elsewhere, customer):
        payload = (await client.execute(DEACTIVATE, {"input": {"userId": gid("User", target.id)}}))[
            "deactivateDealershipUser"]
        assert codes(payload) == [("NOT_FOUND", ["userId"])]
        assert (await User.get(id=target.id)).is_active is True
    malformed = (await client.execute(DEACTIVATE, {"input": {"userId": gid("Contract", elsewhere.id)}}))[
        "deactivateDealershipUser"]
    assert codes(malformed) == [("NOT_FOUND", ["userId"])]


@pytest.mark.parametrize(("operation", "variables"), [
    (LIST, {}),
    (ADD, {"input": {"username": "x.y.z", "email": "x@y.example"}}),
    (DEACTIVATE, {"input": {"userId": "VXNlcjox"}}),
    (REACTIVATE, {"input": {"userId": "VXNlcjox"}}),
])
async def test_a_dealer_user_may_not_manage_logins(client, services, operation, variables):
    await desk.dealer(client, services, username="sam", role=Role.DEALER_USER)
    body = (await client.post(operation, variables)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await User.all().count() == 1
