"""Signing in and out through /graphql, with bearer tokens and with cookies + CSRF.

The account here is a customer's without MFA (one password step); staff, MFA, the challenge and
the lockout have their own files (test_mfa.py, test_login_hardening.py)."""

from __future__ import annotations

from datetime import timedelta

from models import Session
from models.enums import Role
from tests import factories

LOGIN = """mutation($u: String!, $p: String!, $m: SessionMode!) {
  login(input: {username: $u, password: $p, mode: $m}) {
    nextStep token csrfToken mfaChallengeToken viewer { username role } errors { code message field }
  }
}"""
VIEWER = "{ viewer { username role } }"


async def dana(services):
    return await factories.user(services, "dana", Role.CUSTOMER, customer=await factories.customer(services))


async def test_bearer_login_returns_a_token_that_signs_requests_in(client, services):
    await dana(services)
    data = await client.execute(LOGIN, {"u": "Dana", "p": factories.TEST_PASSWORD, "m": "BEARER"})
    payload = data["login"]
    assert payload["errors"] == [] and payload["nextStep"] == "DONE"
    assert payload["viewer"] == {"username": "dana", "role": "CUSTOMER"}
    assert payload["csrfToken"] is None and payload["mfaChallengeToken"] is None
    client.token = payload["token"]
    assert (await client.execute(VIEWER))["viewer"]["username"] == "dana"


async def test_token_is_stored_only_as_a_hash(client, services):
    await dana(services)
    await client.login("dana", factories.TEST_PASSWORD)
    stored = await Session.all().values_list("token_hash", flat=True)
    assert len(stored) == 1 and client.token not in stored[0] and len(stored[0]) == 64


async def test_wrong_password_and_unknown_user_get_the_same_answer(client, services):
    await dana(services)
    wrong = (await client.execute(LOGIN, {"u": "dana", "p": "not the password", "m": "BEARER"}))["login"]
    unknown = (await client.execute(LOGIN, {"u": "nobody", "p": "not the password", "m": "BEARER"}))["login"]
    assert wrong == unknown
    assert wrong["errors"] == [
        {"code": "INVALID_CREDENTIALS", "message": "The user ID or password is not correct.", "field": None}
    ]
    assert wrong["token"] is None and wrong["nextStep"] is None and await Session.all().count() == 0


async def test_empty_input_is_a_typed_error_naming_the_field(client):
    payload = (await client.execute(LOGIN, {"u": " ", "p": "", "m": "BEARER"}))["login"]
    assert [e["field"] for e in payload["errors"]] == [["username"], ["password"]]
    assert {e["code"] for e in payload["errors"]} == {"INVALID"}


async def test_cookie_session_needs_the_csrf_header(client, services):
    await dana(services)
    response = await client.post(LOGIN, {"u": "dana", "p": factories.TEST_PASSWORD, "m": "COOKIE"})
    payload = response.json()["data"]["login"]
    assert payload["token"] is None and payload["csrfToken"]
    set_cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("autofin_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    # httpx keeps the cookies: without the header the cookie alone does not sign in.
    without = (await client.post(VIEWER)).json()["data"]["viewer"]
    with_header = (await client.post(VIEWER, headers={"x-csrf-token": payload["csrfToken"]})).json()
    assert without is None
    assert with_header["data"]["viewer"]["username"] == "dana"
    forged = (await client.post(VIEWER, headers={"x-csrf-token": "0" * 64})).json()["data"]["viewer"]
    assert forged is None


async def test_idle_session_expires_on_the_server(client, services, clock):
    await dana(services)
    await client.login("dana", factories.TEST_PASSWORD)
    clock.advance(timedelta(minutes=14))
    assert (await client.execute(VIEWER))["viewer"] is not None
    clock.advance(timedelta(minutes=16))
    assert (await client.execute(VIEWER))["viewer"] is None


async def test_absolute_timeout_ends_an_active_session(client, services, clock):
    await dana(services)
    await client.login("dana", factories.TEST_PASSWORD)
    for _ in range(12 * 6):  # active every 10 minutes for 12 hours
        clock.advance(timedelta(minutes=10))
        viewer = (await client.execute(VIEWER))["viewer"]
    assert viewer is None


async def test_logout_revokes_the_session(client, services):
    await dana(services)
    await client.login("dana", factories.TEST_PASSWORD)
    data = await client.execute("mutation { logout { signedOut errors { code } } }")
    assert data["logout"] == {"signedOut": True, "errors": []}
    assert (await client.execute(VIEWER))["viewer"] is None


async def test_logout_needs_a_session(client):
    body = (await client.post("mutation { logout { signedOut } }")).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
