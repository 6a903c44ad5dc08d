"""Secure message threads through /graphql: a customer starts a thread, support replies, unread
counts and marking read, the content-free email and the notification, live events, idempotency,
and who may read what."""

from __future__ import annotations

import asyncio

import pytest

from models import (
    AuditEvent,
    LiveEvent,
    MessageThread,
    Notification,
    OutboxMessage,
    SecureMessage,
)
from models.enums import NotificationCategory, Role
from tests import factories
from tests.api.messages import helpers as h
from tests.api.payments.payment_helpers import by_subject
from tests.api.servicing.builders import gid

SECRET_TEXT = "Your payoff of 12,345.67 was applied to loan 4000000123"


async def test_a_customer_starts_a_thread_and_sees_it_with_nothing_unread(client, services):
    _, user = await h.customer_login(services)
    await h.as_user(client, services, user)
    payload = await h.start(client)
    assert payload["errors"] == []
    thread = payload["thread"]
    assert (thread["category"], thread["subject"], thread["status"], thread["unreadCount"]) == \
        ("PAYMENTS", "Payment question", "OPEN", 0)
    assert thread["customerId"] is None and thread["assigneeUsername"] is None  # staff-only fields
    assert payload["message"]["sentByYou"] is True and payload["message"]["fromSupport"] is False
    listing = await h.my_threads(client)
    assert listing["totalCount"] == 1 and listing["unreadCount"] == 0
    [edge] = listing["edges"]
    assert [m["node"]["body"] for m in edge["node"]["messages"]["edges"]] == ["Where did my payment go?"]


async def test_a_support_reply_is_unread_until_marked_read_and_the_customer_can_answer(client, services):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client))["thread"]["id"]

    await h.as_user(client, services, staff)
    reply = await h.post(client, thread_id, "We are looking into it.", "r-1")
    assert reply["errors"] == []
    assert reply["thread"]["status"] == "WAITING_ON_CUSTOMER" and reply["thread"]["assignedToYou"] is True
    assert reply["message"]["fromSupport"] is True and reply["message"]["authorUsername"] == "sam"
    await h.post(client, thread_id, "Found it: it was applied on the 3rd.", "r-2")

    await h.as_user(client, services, user)
    listing = await h.my_threads(client)
    assert listing["unreadCount"] == 2
    node = listing["edges"][0]["node"]
    assert node["unreadCount"] == 2 and node["status"] == "WAITING_ON_CUSTOMER"
    assert [m["node"]["fromSupport"] for m in node["messages"]["edges"]] == [False, True, True]  # oldest first
    assert all(m["node"]["authorUsername"] is None for m in node["messages"]["edges"])  # no staff names for customers

    marked = await h.mark_read(client, thread_id)
    assert marked["errors"] == [] and marked["thread"]["unreadCount"] == 0
    assert (await h.my_threads(client))["unreadCount"] == 0

    answer = await h.post(client, thread_id, "Thanks!", "c-1")
    assert answer["thread"]["status"] == "OPEN" and answer["thread"]["unreadCount"] == 0
    await h.as_user(client, services, staff)
    [row] = (await h.queue(client, "MINE"))["edges"]
    assert row["node"]["unreadCount"] == 1 and row["node"]["status"] == "OPEN"


async def test_a_support_reply_emails_and_notifies_the_customer_without_the_content(client, services, mailbox):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client, subject="About my payoff"))["thread"]["id"]
    assert await mailbox.deliver() == []  # a customer's own post mails no one

    await h.as_user(client, services, staff)
    await h.post(client, thread_id, SECRET_TEXT, "r-1")
    [mail] = by_subject(await mailbox.deliver(), "You have a new secure message")
    assert str(mail["To"]) == user.email
    raw = mail.as_string()
    assert SECRET_TEXT not in raw and "12,345.67" not in raw and "About my payoff" not in raw
    assert "/messages" in mailbox.text(mail)
    [note] = await Notification.filter(category=NotificationCategory.SECURE_MESSAGES)
    assert note.user_id == user.id and SECRET_TEXT not in note.body and note.title == "You have a new secure message"
    # Nothing in the outbox carries the message either.
    assert not await OutboxMessage.filter(text_body__contains="12,345.67").exists()
    assert not await OutboxMessage.filter(html_body__contains="12,345.67").exists()


async def test_live_events_go_to_the_other_side_in_the_same_transaction(client, services):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client))["thread"]["id"]
    assert await LiveEvent.filter(topic="message").count() == 0  # nobody assigned yet

    await h.as_user(client, services, staff)
    reply = await h.post(client, thread_id, "Hello", "r-1")
    thread_row = await MessageThread.get()
    message_row = await SecureMessage.get(body="Hello")
    [event] = await LiveEvent.filter(topic="message")
    assert event.user_id == user.id and event.payload == {"thread": thread_row.id, "message": message_row.id}
    assert reply["thread"]["assignedToYou"] is True

    await h.as_user(client, services, user)
    await h.post(client, thread_id, "Hi back", "c-1")
    newest = await LiveEvent.filter(topic="message").order_by("-id").first()
    assert newest.user_id == staff.id

    # A refused post publishes nothing.
    before = await LiveEvent.all().count()
    refused = await h.post(client, thread_id, "", "c-2")
    assert h.codes(refused) == [("INVALID", ["body"])]
    assert await LiveEvent.all().count() == before


async def test_a_customer_cannot_read_or_write_another_customers_thread(client, services):
    _, alice = await h.customer_login(services, "alice")
    _, bob = await h.customer_login(services, "bob")
    await h.as_user(client, services, alice)
    started = await h.start(client, attachments=[{"filename": "a.pdf", "contentBase64": h.b64(h.pdf_bytes())}])
    thread_id, message = started["thread"]["id"], started["message"]
    attachment = message["attachments"][0]

    await h.as_user(client, services, bob)
    ids = [thread_id, message["id"], attachment["id"]]
    for global_id in ids:
        data = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
        assert data["node"] is None
    assert (await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}))["nodes"] == \
        [None, None, None]
    assert (await h.my_threads(client))["edges"] == []
    assert h.codes(await h.post(client, thread_id, "let me in", "b-1")) == [("NOT_FOUND", ["threadId"])]
    assert h.codes(await h.mark_read(client, thread_id)) == [("NOT_FOUND", ["threadId"])]
    assert await SecureMessage.filter(author_id=bob.id).count() == 0
    # Alice's download link does not work for Bob, and a link minted for Bob cannot be made.
    response = await client.http.get(attachment["downloadUrl"].replace(f"user={alice.id}", f"user={bob.id}"))
    assert response.status_code == 404
    # Bob cannot reach it through support's desk either.
    body = (await client.post(h.DESK_THREAD, {"id": thread_id})).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_staff_other_than_support_see_no_threads(client, services):
    _, alice = await h.customer_login(services)
    await h.as_user(client, services, alice)
    thread_id = (await h.start(client))["thread"]["id"]
    dealer = await factories.user(services, "dealer", Role.DEALER_USER,
                                  dealership=await factories.dealership())
    await h.as_user(client, services, dealer)
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": thread_id}))["node"] is None
    assert (await h.my_threads(client))["edges"] == []


async def test_a_retry_with_the_same_key_makes_one_message_and_another_post_with_it_is_a_conflict(client, services):
    _, user = await h.customer_login(services)
    await h.as_user(client, services, user)
    first = await h.start(client, key="same")
    again = await h.start(client, key="same")
    assert again["errors"] == [] and again["thread"]["id"] == first["thread"]["id"]
    assert again["message"]["id"] == first["message"]["id"]
    assert await MessageThread.all().count() == 1 and await SecureMessage.all().count() == 1

    other = await h.start(client, key="same", body="Something else")
    assert h.codes(other) == [("CONFLICT", ["idempotencyKey"])]
    thread_id = first["thread"]["id"]
    reply = await h.post(client, thread_id, "More", "reply-1")
    assert (await h.post(client, thread_id, "More", "reply-1"))["message"]["id"] == reply["message"]["id"]
    assert h.codes(await h.post(client, thread_id, "More", "same")) == [("CONFLICT", ["idempotencyKey"])]
    assert await SecureMessage.all().count() == 2


@pytest.mark.parametrize(("field", "value"), [("subject", ""), ("subject", "x" * 201), ("body", "  "),
                                              ("body", "x" * 10_001), ("idempotencyKey", "")])
async def test_bad_input_is_invalid_and_stores_nothing(client, services, field, value):
    _, user = await h.customer_login(services)
    await h.as_user(client, services, user)
    values = {"subject": "Hi", "body": "Hello", "key": "k"}
    values[{"idempotencyKey": "key"}.get(field, field)] = value
    payload = await h.start(client, **values)
    assert h.codes(payload) == [("INVALID", [field])]
    assert await MessageThread.all().count() == 0 and await SecureMessage.all().count() == 0


async def test_a_closed_thread_reopens_when_the_customer_writes(client, services):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client))["thread"]["id"]
    await h.as_user(client, services, staff)
    closed = (await client.execute(h.CLOSE, {"input": {"threadId": thread_id}}))["closeThread"]
    assert closed["thread"]["status"] == "CLOSED" and closed["thread"]["closedAt"]
    await h.as_user(client, services, user)
    assert [e["node"]["id"] for e in (await h.my_threads(client, "CLOSED"))["edges"]] == [thread_id]
    reopened = await h.post(client, thread_id, "It happened again", "c-1")
    assert reopened["thread"]["status"] == "OPEN" and reopened["thread"]["closedAt"] is None
    assert (await h.my_threads(client, "CLOSED"))["edges"] == []


async def test_support_reading_a_thread_is_audited_and_shown_to_the_customer(client, services):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client, body=SECRET_TEXT))["thread"]["id"]

    await h.as_user(client, services, staff)
    await h.queue(client)  # listing the queue is not a view of the messages
    assert not await AuditEvent.filter(action="support.viewed_messages").exists()
    data = await client.execute(h.DESK_THREAD, {"id": thread_id})
    assert data["support"]["thread"]["messages"]["edges"][0]["node"]["body"] == SECRET_TEXT
    [event] = await AuditEvent.filter(action="support.viewed_messages")  # once per request, not per field
    assert (event.actor_id, event.subject_id) == (staff.id, user.id)
    assert SECRET_TEXT not in str(event.details) and "Payment question" not in str(event.details)
    await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": thread_id})
    assert await AuditEvent.filter(action="support.viewed_messages").count() == 2

    await h.as_user(client, services, user)
    events = await client.execute("{ viewer { securityEvents(first: 10) { edges { node { action description } } } } }")
    described = {e["node"]["action"]: e["node"]["description"] for e in events["viewer"]["securityEvents"]["edges"]}
    assert described["support.viewed_messages"] == "Support read your secure messages"


@pytest.mark.postgres_only
async def test_concurrent_retries_with_one_key_make_one_message(client, services):
    _, user = await h.customer_login(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client))["thread"]["id"]
    results = await asyncio.gather(*(h.post(client, thread_id, "Same again", "dup") for _ in range(4)))
    assert all(r["errors"] == [] for r in results)
    assert len({r["message"]["id"] for r in results}) == 1
    assert await SecureMessage.filter(idempotency_key="dup").count() == 1


@pytest.mark.postgres_only
async def test_concurrent_customer_and_support_posts_leave_a_consistent_thread(client, services):
    _, user = await h.customer_login(services)
    staff = await h.support_user(services)
    await h.as_user(client, services, user)
    thread_id = (await h.start(client))["thread"]["id"]
    customer_token = client.token
    staff_token = await h.session_token(services, staff)

    async def as_token(token, body, key):
        response = await client.post(h.POST, {"input": {"threadId": thread_id, "body": body, "idempotencyKey": key}},
                                     headers={"authorization": f"Bearer {token}"})
        return response.json()["data"]["postSecureMessage"]

    results = await asyncio.gather(as_token(customer_token, "c", "c-1"), as_token(staff_token, "s", "s-1"))
    assert all(r["errors"] == [] for r in results)
    thread = await MessageThread.get()
    newest = await SecureMessage.filter(thread_id=thread.id).order_by("-id").first()
    expected = "WAITING_ON_CUSTOMER" if newest.from_support else "OPEN"
    assert thread.status.value == expected and thread.assigned_to_id == staff.id
    assert gid("MessageThread", thread.id) == thread_id
