"""Live subscriptions over a real WebSocket (graphql-transport-ws): what a subscriber receives, and
the same session, origin and role checks as HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strawberry import relay
from tortoise.transactions import in_transaction
from websockets.exceptions import InvalidStatus

from auth.sessions import csrf_token, revoke_session, start_session
from models import LiveEvent, MessageThread, SecureMessage, Session
from models.enums import NotificationCategory, Role, SessionKind, ThreadCategory
from resolvers.live.fanout import prune_live_events
from resolvers.live.publish import MESSAGE, NOTIFICATION, publish
from resolvers.notifications import notify
from tests import factories
from tests.api.live.wsclient import init_refused, live_client, open_socket

MESSAGES = """subscription($thread: ID, $since: ID) {
  messages(threadId: $thread, since: $since) { eventId threadId messageId fromSupport body createdAt } }"""
NOTIFICATIONS = """subscription($since: ID) {
  notifications(since: $since) { eventId notification { id title body category read } } }"""


async def _signed_in(services, username: str, role: Role, *, kind=SessionKind.BEARER, **links):
    if role == Role.CUSTOMER and "customer" not in links:
        links["customer"] = await factories.customer(services)
    user = await factories.user(services, username, role, **links)
    issued = await start_session(user, kind=kind, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="live-test")
    return user, issued


async def _thread(services, customer_id: int, *, assigned_to=None) -> MessageThread:
    now = services.clock.now()
    return await MessageThread.create(customer_id=customer_id, category=ThreadCategory.PAYMENTS, subject="A payment",
                                      assigned_to=assigned_to, created_at=now, last_message_at=now)


async def _post(services, thread: MessageThread, author, body: str, *, to: list[int], from_support: bool,
                payload: dict | None = None) -> SecureMessage:
    """A message and its live events in one transaction (what postSecureMessage does)."""
    async with in_transaction() as connection:
        message = await SecureMessage.create(thread=thread, author=author, from_support=from_support, body=body,
                                             created_at=services.clock.now(), using_db=connection)
        for user_id in to:
            await publish(user_id, MESSAGE, payload or {"thread": thread.id, "message": message.id},
                          clock=services.clock, using_db=connection)
    return message


def _gid(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


async def test_handshake_subscribe_and_receive_a_notification(address, services):
    user, issued = await _signed_in(services, "live-alice", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        op = await live.subscribe(NOTIFICATIONS)
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="New sign-in",
                     body="A new device signed in.")
        data = await live.next_data(op)
    received = data["notifications"]
    assert received["notification"]["title"] == "New sign-in"
    assert received["notification"]["category"] == "SECURITY_ALERTS" and received["notification"]["read"] is False
    assert received["eventId"].isdigit()


async def test_a_notification_rolled_back_is_never_announced(address, services):
    user, issued = await _signed_in(services, "live-rollback", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        op = await live.subscribe(NOTIFICATIONS)
        with pytest.raises(RuntimeError):
            async with in_transaction() as connection:
                await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="Lost",
                             body="rolled back", using_db=connection)
                raise RuntimeError("abort")
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="Kept", body="kept")
        data = await live.next_data(op)
    assert data["notifications"]["notification"]["title"] == "Kept"


async def test_a_customer_receives_messages_of_own_threads_only(address, services):
    alice, alice_session = await _signed_in(services, "live-a", Role.CUSTOMER)
    bob, _ = await _signed_in(services, "live-b", Role.CUSTOMER)
    agent = await factories.user(services, "live-agent", Role.SUPPORT)
    alice_thread = await _thread(services, alice.customer_id, assigned_to=agent)
    bob_thread = await _thread(services, bob.customer_id, assigned_to=agent)
    async with live_client(address, token=alice_session.token) as live:
        op = await live.subscribe(MESSAGES)
        # Bob's reply, announced to Bob: not Alice's business.
        await _post(services, bob_thread, agent, "for bob", to=[bob.id], from_support=True)
        bobs = await SecureMessage.get(body="for bob")
        # A forged event for Alice pointing at Bob's message: checked at delivery, skipped.
        await _post(services, bob_thread, agent, "bob again", to=[alice.id], from_support=True,
                    payload={"thread": bob_thread.id, "message": bobs.id})
        mine = await _post(services, alice_thread, agent, "Hello Alice", to=[alice.id], from_support=True)
        data = (await live.next_data(op))["messages"]
    assert data["body"] == "Hello Alice" and data["fromSupport"] is True
    assert data["messageId"] == _gid("SecureMessage", mine.id)
    assert data["threadId"] == _gid("MessageThread", alice_thread.id)


async def test_a_customer_cannot_subscribe_to_another_customers_thread(address, services):
    _, alice_session = await _signed_in(services, "live-c", Role.CUSTOMER)
    bob, _ = await _signed_in(services, "live-d", Role.CUSTOMER)
    bob_thread = await _thread(services, bob.customer_id)
    async with live_client(address, token=alice_session.token) as live:
        for thread in (_gid("MessageThread", bob_thread.id), _gid("MessageThread", 999999), _gid("Contract", 1)):
            op = await live.subscribe(MESSAGES, {"thread": thread})
            assert await live.error_codes(op) == ["NOT_FOUND"]


async def test_support_receives_a_given_thread_or_its_assigned_threads(address, services):
    customer, _ = await _signed_in(services, "live-e", Role.CUSTOMER)
    agent, agent_session = await _signed_in(services, "live-agent-2", Role.SUPPORT)
    other_agent = await factories.user(services, "live-agent-3", Role.SUPPORT)
    mine = await _thread(services, customer.customer_id, assigned_to=agent)
    theirs = await _thread(services, customer.customer_id, assigned_to=other_agent)
    async with live_client(address, token=agent_session.token) as live:
        assigned = await live.subscribe(MESSAGES)
        watched = await live.subscribe(MESSAGES, {"thread": _gid("MessageThread", theirs.id)})
        # The customer writes on the other agent's thread: only the watched-thread subscription hears it.
        await _post(services, theirs, customer, "on theirs", to=[customer.id, other_agent.id], from_support=False)
        message = await live.receive()
        assert message["id"] == watched and message["payload"]["data"]["messages"]["body"] == "on theirs"
        # On the agent's own thread, announced to the customer and to the agent: delivered once.
        await _post(services, mine, customer, "on mine", to=[customer.id, agent.id], from_support=False)
        message = await live.receive()
        assert message["id"] == assigned and message["payload"]["data"]["messages"]["body"] == "on mine"
        assert message["payload"]["data"]["messages"]["fromSupport"] is False
        await _post(services, theirs, customer, "theirs again", to=[customer.id], from_support=False)
        message = await live.receive()
        assert message["id"] == watched and message["payload"]["data"]["messages"]["body"] == "theirs again"


async def test_since_replays_the_events_missed_while_disconnected(address, services):
    user, issued = await _signed_in(services, "live-f", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        op = await live.subscribe(NOTIFICATIONS)
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="one", body="1")
        last_seen = (await live.next_data(op))["notifications"]["eventId"]
    for title in ("two", "three"):  # while the client is away
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title=title, body="x")
    async with live_client(address, token=issued.token) as live:
        op = await live.subscribe(NOTIFICATIONS, {"since": last_seen})
        titles = [(await live.next_data(op))["notifications"]["notification"]["title"] for _ in range(2)]
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="four", body="x")
        titles.append((await live.next_data(op))["notifications"]["notification"]["title"])
    assert titles == ["two", "three", "four"]


async def test_refused_without_a_session_or_with_a_revoked_one(address, services, clock):
    _, issued = await _signed_in(services, "live-g", Role.CUSTOMER)
    assert await init_refused(address, {}) == 4403
    assert await init_refused(address, {"authorization": "Bearer not-a-token"}) == 4403
    session = await Session.get(id=issued.session.id)
    await revoke_session(session, clock)
    assert await init_refused(address, {"authorization": f"Bearer {issued.token}"}) == 4403


async def test_cookie_session_needs_its_csrf_token_like_http(address, services):
    _, issued = await _signed_in(services, "live-h", Role.CUSTOMER, kind=SessionKind.COOKIE)
    cookie = {"cookie": f"{services.settings.session_cookie_name}={issued.token}"}
    assert await init_refused(address, {}, headers=cookie) == 4403
    assert await init_refused(address, {"csrfToken": "wrong"}, headers=cookie) == 4403
    token = csrf_token(services.settings, issued.session.token_hash)
    async with live_client(address, payload={"csrfToken": token}, headers=cookie) as live:
        op = await live.subscribe(NOTIFICATIONS)
        assert op


async def test_foreign_origin_and_legacy_protocol_are_refused_at_the_handshake(address, services):
    _, issued = await _signed_in(services, "live-i", Role.CUSTOMER)
    for options in ({"origin": "https://evil.example"}, {"subprotocols": ("graphql-ws",)}, {"subprotocols": None}):
        with pytest.raises(InvalidStatus) as refused:
            async with open_socket(address, **options):
                pass
        assert refused.value.response.status_code == 403, options
    # This server's own origin is fine.
    async with live_client(address, token=issued.token, origin=f"http://{address}") as live:
        assert await live.subscribe(NOTIFICATIONS)


async def test_revoking_the_session_closes_the_subscription(address, services, clock):
    _, issued = await _signed_in(services, "live-j", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        await live.subscribe(NOTIFICATIONS)
        await revoke_session(await Session.get(id=issued.session.id), clock)
        assert await live.closed_with() == 4401


async def test_an_expired_session_closes_the_subscription(address, services, clock):
    user, issued = await _signed_in(services, "live-k", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        op = await live.subscribe(NOTIFICATIONS)
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="before", body="x")
        assert (await live.next_data(op))["notifications"]["notification"]["title"] == "before"
        clock.advance(timedelta(minutes=services.settings.session_idle_minutes))
        await notify(services, user=user, category=NotificationCategory.SECURITY_ALERTS, title="after", body="x")
        assert await live.closed_with() == 4401


async def test_only_subscriptions_run_over_the_socket(address, services):
    _, issued = await _signed_in(services, "live-l", Role.CUSTOMER)
    async with live_client(address, token=issued.token) as live:
        for operation in ("{ viewer { username } }", "mutation { logout { errors { code } } }"):
            op = await live.subscribe(operation)
            message = await live.receive()
            assert message["id"] == op and message["type"] == "error", message
            assert "are not allowed" in message["payload"][0]["message"], message


async def test_a_subscription_over_http_is_a_client_error(client, services):
    _, issued = await _signed_in(services, "live-http", Role.CUSTOMER)
    client.token = issued.token
    for query in (NOTIFICATIONS, MESSAGES):
        response = await client.post(query)
        assert response.status_code == 400 and "subscriptions are not allowed" in response.text, response.text


async def test_the_wrong_role_is_forbidden(address, services):
    _, issued = await _signed_in(services, "live-dealer", Role.DEALER_USER, dealership=await factories.dealership())
    async with live_client(address, token=issued.token) as live:
        for variables in ({}, {"thread": _gid("MessageThread", 1)}):
            assert await live.error_codes(await live.subscribe(MESSAGES, variables)) == ["FORBIDDEN"]


async def test_old_live_events_are_pruned(db, services, clock):
    user = await factories.user(services, "live-m", Role.CUSTOMER, customer=await factories.customer(services))
    async with in_transaction() as connection:
        await publish(user.id, NOTIFICATION, {"notification": 1}, clock=clock, using_db=connection)
    clock.advance(timedelta(days=1, seconds=1))
    async with in_transaction() as connection:
        await publish(user.id, NOTIFICATION, {"notification": 2}, clock=clock, using_db=connection)
    assert await prune_live_events(clock) == 1
    assert [e.payload for e in await LiveEvent.all()] == [{"notification": 2}]
