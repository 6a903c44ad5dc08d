"""Signed-in devices through /graphql: listing your live sessions, revoking one or all, and
never reaching anyone else's."""

from __future__ import annotations

from datetime import timedelta

from strawberry.relay import to_base64

from auth.sessions import start_session
from graph.schema import build_schema
from models import AuditEvent, Session
from models.enums import Role, SessionKind
from tests import factories

SESSIONS = """query($first: Int, $after: String) {
  viewer { sessions(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind userAgent ip createdAt lastSeenAt expiresAt current } }
  } }
}"""
REVOKE = """mutation($id: ID!) {
  revokeSession(input: {sessionId: $id}) { revokedSessionId errors { code message field } }
}"""
REVOKE_ALL = """mutation($all: Boolean) {
  revokeAllSessions(input: {includeCurrent: $all}) { revokedCount errors { code message field } }
}"""
VIEWER = "{ viewer { username } }"


async def customer_login(services, username: str):
    owner = await factories.customer(services)
    return await factories.user(services, username, Role.CUSTOMER, customer=owner)


async def sign_in(client, username: str, user_agent: str) -> str:
    client.headers["user-agent"] = user_agent
    await client.login(username, factories.TEST_PASSWORD)
    return client.token


async def as_token(client, token: str, query: str, variables: dict | None = None) -> dict:
    client.token = token
    return await client.execute(query, variables)


def session_gid(session_id: int) -> str:
    return to_base64("Session", session_id)


async def test_viewer_lists_own_live_sessions_most_recent_first(client, services, clock):
    carla = await customer_login(services, "carla")
    await customer_login(services, "other")
    await sign_in(client, "other", "Other/1.0")  # someone else's device
    phone = await sign_in(client, "carla", "Phone/1.0")
    clock.advance(timedelta(minutes=2))
    laptop = await sign_in(client, "carla", "Laptop/2.0")
    # Gone for good: a revoked session and one past its absolute expiry.
    revoked = await start_session(carla, kind=SessionKind.COOKIE, clock=clock, settings=services.settings,
                                  ip="10.0.0.9", user_agent="Revoked/1.0")
    await Session.filter(id=revoked.session.id).update(revoked_at=clock.now())
    old = await start_session(carla, kind=SessionKind.COOKIE, clock=clock, settings=services.settings,
                              ip="10.0.0.8", user_agent="Old/1.0")
    await Session.filter(id=old.session.id).update(expires_at=clock.now() - timedelta(seconds=1))

    data = await as_token(client, laptop, SESSIONS)
    connection = data["viewer"]["sessions"]
    nodes = [edge["node"] for edge in connection["edges"]]
    assert connection["totalCount"] == 2
    assert [n["userAgent"] for n in nodes] == ["Laptop/2.0", "Phone/1.0"]
    assert [n["current"] for n in nodes] == [True, False]
    assert {n["kind"] for n in nodes} == {"BEARER"}
    assert nodes[0]["ip"] == "127.0.0.1"
    assert nodes[0]["createdAt"] == "2026-11-02T15:02:00+00:00"
    assert nodes[1]["expiresAt"] == "2026-11-03T03:00:00+00:00"  # 12 hours after sign-in

    # From the phone, the phone is the current one.
    phone_view = await as_token(client, phone, SESSIONS)
    assert [e["node"]["current"] for e in phone_view["viewer"]["sessions"]["edges"]] == [False, True]


async def test_sessions_page_with_cursors(client, services, clock):
    await customer_login(services, "carla")
    tokens = []
    for n in range(3):
        tokens.append(await sign_in(client, "carla", f"Device/{n}"))
        clock.advance(timedelta(minutes=1))
    first = (await as_token(client, tokens[-1], SESSIONS, {"first": 2}))["viewer"]["sessions"]
    assert [e["node"]["userAgent"] for e in first["edges"]] == ["Device/2", "Device/1"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await client.execute(SESSIONS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))
    assert [e["node"]["userAgent"] for e in rest["viewer"]["sessions"]["edges"]] == ["Device/0"]


async def test_session_type_exposes_no_token_or_hash():
    fields = build_schema()._schema.type_map["Session"].fields
    assert set(fields) == {"id", "kind", "userAgent", "ip", "createdAt", "lastSeenAt", "expiresAt", "current"}


async def test_revoking_a_session_signs_that_device_out(client, services, clock):
    carla = await customer_login(services, "carla")
    phone = await sign_in(client, "carla", "Phone/1.0")
    laptop = await sign_in(client, "carla", "Laptop/2.0")
    phone_row = await Session.get(user_id=carla.id, user_agent="Phone/1.0")

    payload = (await as_token(client, laptop, REVOKE, {"id": session_gid(phone_row.id)}))["revokeSession"]
    assert payload == {"revokedSessionId": session_gid(phone_row.id), "errors": []}
    assert (await as_token(client, phone, VIEWER))["viewer"] is None  # the revoked token stops working
    assert (await as_token(client, laptop, VIEWER))["viewer"] == {"username": "carla"}
    event = await AuditEvent.get(action="session.revoked")
    assert (event.actor_id, event.subject_id, event.details["session_id"]) == (carla.id, carla.id, phone_row.id)

    again = (await as_token(client, laptop, REVOKE, {"id": session_gid(phone_row.id)}))["revokeSession"]
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_revoking_the_current_session_signs_this_device_out(client, services):
    carla = await customer_login(services, "carla")
    token = await sign_in(client, "carla", "Phone/1.0")
    row = await Session.get(user_id=carla.id)
    payload = (await client.execute(REVOKE, {"id": session_gid(row.id)}))["revokeSession"]
    assert payload["errors"] == []
    assert (await as_token(client, token, VIEWER))["viewer"] is None


async def test_another_users_session_is_not_found_and_left_alone(client, services):
    await customer_login(services, "carla")
    mallory = await customer_login(services, "mallory")
    mallory_token = await sign_in(client, "mallory", "Mallory/1.0")
    mallory_row = await Session.get(user_id=mallory.id)
    carla_token = await sign_in(client, "carla", "Carla/1.0")

    for bad in (session_gid(mallory_row.id), to_base64("Contract", 1), "not-a-global-id", session_gid(999999)):
        payload = (await as_token(client, carla_token, REVOKE, {"id": bad}))["revokeSession"]
        assert payload["revokedSessionId"] is None
        assert payload["errors"] == [{"code": "NOT_FOUND", "message": "No such session among your signed-in devices.",
                                      "field": ["sessionId"]}]
    assert (await as_token(client, mallory_token, VIEWER))["viewer"] == {"username": "mallory"}
    assert await AuditEvent.filter(action="session.revoked").count() == 0


async def test_node_fetches_only_your_own_sessions(client, services):
    await customer_login(services, "carla")
    mallory = await customer_login(services, "mallory")
    await sign_in(client, "mallory", "Mallory/1.0")
    mallory_row = await Session.get(user_id=mallory.id)
    carla_token = await sign_in(client, "carla", "Carla/1.0")
    carla_row = await Session.get(user_agent="Carla/1.0")
    query = "query($id: ID!) { node(id: $id) { ... on Session { userAgent current } } }"
    assert (await as_token(client, carla_token, query, {"id": session_gid(mallory_row.id)}))["node"] is None
    own = (await client.execute(query, {"id": session_gid(carla_row.id)}))["node"]
    assert own == {"userAgent": "Carla/1.0", "current": True}


async def test_revoke_all_keeps_this_device_unless_asked(client, services):
    carla = await customer_login(services, "carla")
    others = [await sign_in(client, "carla", f"Other/{n}") for n in range(2)]
    current = await sign_in(client, "carla", "Current/1.0")
    payload = (await as_token(client, current, REVOKE_ALL, {"all": False}))["revokeAllSessions"]
    assert payload == {"revokedCount": 2, "errors": []}
    for token in others:
        assert (await as_token(client, token, VIEWER))["viewer"] is None
    assert (await as_token(client, current, VIEWER))["viewer"] == {"username": "carla"}
    event = await AuditEvent.get(action="session.revoked_all")
    assert event.subject_id == carla.id and event.details == {"sessions_revoked": 2, "include_current": False}

    everything = (await client.execute(REVOKE_ALL, {"all": True}))["revokeAllSessions"]
    assert everything == {"revokedCount": 1, "errors": []}
    assert (await as_token(client, current, VIEWER))["viewer"] is None


async def test_revoke_all_without_input_keeps_the_current_session(client, services):
    await customer_login(services, "carla")
    other = await sign_in(client, "carla", "Other/1.0")
    current = await sign_in(client, "carla", "Current/1.0")
    data = await as_token(client, current, "mutation { revokeAllSessions { revokedCount errors { code } } }")
    assert data["revokeAllSessions"] == {"revokedCount": 1, "errors": []}
    assert (await as_token(client, other, VIEWER))["viewer"] is None
    assert (await as_token(client, current, VIEWER))["viewer"] is not None


async def test_signed_out_callers_cannot_revoke(client, services):
    response = await client.post(REVOKE, {"id": session_gid(1)})
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.execute("{ viewer { sessions { totalCount } } }"))["viewer"] is None


async def test_revoking_the_current_cookie_session_clears_the_cookies(client, services):
    carla = await customer_login(services, "carla")
    login = """mutation { login(input: {username: "carla", password: "%s", mode: COOKIE}) { csrfToken } }"""
    csrf = (await client.execute(login % factories.TEST_PASSWORD))["login"]["csrfToken"]
    row = await Session.get(user_id=carla.id)
    response = await client.post(REVOKE, {"id": session_gid(row.id)}, headers={"x-csrf-token": csrf})
    assert response.json()["data"]["revokeSession"]["errors"] == []
    cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("autofin_session=")]
    assert cleared and "Max-Age=0" in cleared[0]
    assert (await client.post(VIEWER, headers={"x-csrf-token": csrf})).json()["data"]["viewer"] is None
