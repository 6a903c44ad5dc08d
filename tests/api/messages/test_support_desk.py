"""Support working secure message threads: the queues, assign, link to a case, close, their audit,
and constant SQL for the lists (threads with their messages and attachments)."""

from __future__ import annotations

from datetime import timedelta

from models import AuditEvent, MessageThread
from tests.api.messages import helpers as h
from tests.api.servicing.builders import gid
from tests.conftest import count_queries


async def _threads(client, services, count: int, attachments: bool = False):
    """`count` customers with one thread each; returns [(customer, user, thread global id)]."""
    made = []
    for index in range(count):
        owner, user = await h.customer_login(services, f"cust{index}")
        await h.as_user(client, services, user)
        files = [{"filename": "a.pdf", "contentBase64": h.b64(h.pdf_bytes(str(index)))}] if attachments else None
        payload = await h.start(client, subject=f"Question {index}", key=f"s-{index}", attachments=files)
        made.append((owner, user, payload["thread"]["id"]))
    return made


def _subjects(listing: dict) -> list[str]:
    return [edge["node"]["subject"] for edge in listing["edges"]]


async def test_the_queues_filter_unassigned_mine_and_waiting(client, services, clock):
    made = []
    for index in range(4):
        owner, user = await h.customer_login(services, f"cust{index}")
        await h.as_user(client, services, user)
        made.append((owner, user, (await h.start(client, subject=f"Question {index}", key="s"))["thread"]["id"]))
        clock.advance(timedelta(minutes=1))
    sam = await h.support_user(services, "sam")
    kim = await h.support_user(services, "kim")
    await h.as_user(client, services, sam)
    assert _subjects(await h.queue(client, "UNASSIGNED")) == ["Question 0", "Question 1", "Question 2", "Question 3"]

    await h.post(client, made[0][2], "Answer", "a-0")  # assigns to sam, waiting on the customer
    assigned = (await client.execute(h.ASSIGN, {"input": {"threadId": made[1][2]}}))["assignThread"]
    assert assigned["errors"] == [] and assigned["thread"]["assignedToYou"] is True
    to_kim = {"threadId": made[2][2], "assigneeId": gid("User", kim.id)}
    assert (await client.execute(h.ASSIGN, {"input": to_kim}))["assignThread"]["thread"]["assigneeUsername"] == "kim"
    await client.execute(h.CLOSE, {"input": {"threadId": made[3][2]}})

    assert _subjects(await h.queue(client, "UNASSIGNED")) == []
    assert _subjects(await h.queue(client, "MINE")) == ["Question 1", "Question 0"]  # longest waiting first
    assert _subjects(await h.queue(client, "WAITING")) == ["Question 0"]
    assert _subjects(await h.queue(client, "ALL")) == ["Question 1", "Question 2", "Question 3", "Question 0"]
    assert _subjects(await h.queue(client, "ALL", "CLOSED")) == ["Question 3"]
    assert _subjects(await h.queue(client, "MINE", "WAITING_ON_CUSTOMER")) == ["Question 0"]
    listing = await h.queue(client, "ALL")
    assert listing["totalCount"] == 4 and listing["unreadCount"] == 3  # customers' first messages nobody read
    assert listing["edges"][0]["node"]["customerName"].endswith("Doe")

    await h.as_user(client, services, kim)
    assert _subjects(await h.queue(client, "MINE")) == ["Question 2"]
    not_support = {"threadId": made[2][2], "assigneeId": gid("User", made[0][1].id)}
    assert h.codes((await client.execute(h.ASSIGN, {"input": not_support}))["assignThread"]) == \
        [("NOT_FOUND", ["assigneeId"])]


async def test_linking_a_thread_to_a_case_needs_a_case_of_the_same_customer(client, services):
    [(alice, alice_user, thread_id), (bob, _, _)] = await _threads(client, services, 2)
    staff = await h.support_user(services)
    await h.as_user(client, services, staff)
    other = await h.case_for(bob, services)
    refused = (await client.execute(h.LINK, {"input": {"threadId": thread_id, "caseId": gid("Case", other.id)}}))
    assert h.codes(refused["linkThreadToCase"]) == [("INVALID", ["caseId"])]
    assert await MessageThread.filter(case_id__isnull=False).count() == 0

    missing = (await client.execute(h.LINK, {"input": {"threadId": thread_id, "caseId": gid("Case", 999)}}))
    assert h.codes(missing["linkThreadToCase"]) == [("NOT_FOUND", ["caseId"])]

    own = await h.case_for(alice, services)
    linked = (await client.execute(h.LINK, {"input": {"threadId": thread_id, "caseId": gid("Case", own.id)}}))
    assert linked["linkThreadToCase"]["errors"] == []
    assert linked["linkThreadToCase"]["thread"]["caseId"] == gid("Case", own.id)
    event = await AuditEvent.get(action="support.linked_message_thread")
    assert (event.actor_id, event.subject_id, event.details["case_id"]) == (staff.id, alice_user.id, own.id)


async def test_customers_cannot_use_the_desk_mutations(client, services):
    [(_, user, thread_id)] = await _threads(client, services, 1)
    await h.as_user(client, services, user)
    body = (await client.post(h.CLOSE, {"input": {"threadId": thread_id}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await MessageThread.get()).status.value == "OPEN"


async def test_support_actions_are_audited_about_the_customer(client, services):
    [(_, user, thread_id)] = await _threads(client, services, 1)
    staff = await h.support_user(services)
    await h.as_user(client, services, staff)
    await client.execute(h.ASSIGN, {"input": {"threadId": thread_id}})
    await h.post(client, thread_id, "Reply text that must not be audited", "r-1")
    await client.execute(h.CLOSE, {"input": {"threadId": thread_id}})
    await client.execute(h.CLOSE, {"input": {"threadId": thread_id}})  # already closed: no second event
    events = await AuditEvent.filter(actor_id=staff.id).order_by("id")
    assert [e.action for e in events] == ["support.assigned_message_thread", "support.replied_to_message",
                                          "support.closed_message_thread"]
    assert all(e.subject_id == user.id for e in events)
    assert all("Reply text" not in str(e.details) for e in events)


async def test_listing_threads_with_messages_costs_the_same_sql_for_one_or_many(client, services):
    made = await _threads(client, services, 6, attachments=True)
    staff = await h.support_user(services)
    await h.as_user(client, services, staff)
    for index, (_, _, thread_id) in enumerate(made):
        await h.post(client, thread_id, f"Reply {index}", f"r-{index}",
                     attachments=[{"filename": "b.png", "contentBase64": h.b64(h.png_bytes(1, index + 1))}])
    queue_query = """query($first: Int) { support { threads(first: $first) { totalCount unreadCount edges { node {
      id subject unreadCount assigneeUsername customerName } } } } }"""

    async def staff_cost(first: int) -> int:
        with count_queries() as counter:
            data = await client.execute(queue_query, {"first": first})
        assert len(data["support"]["threads"]["edges"]) == first
        return len(counter.statements)

    assert await staff_cost(1) == await staff_cost(6)

    # A customer's own list with every thread's messages and their attachments: the owner has one thread, so
    # the list's length is varied through one customer with several threads.
    _, user = await h.customer_login(services, "many")
    await h.as_user(client, services, user)
    for index in range(5):
        await h.start(client, subject=f"Mine {index}", key=f"m-{index}",
                      attachments=[{"filename": "a.pdf", "contentBase64": h.b64(h.pdf_bytes(f"m{index}"))}])
    customer_query = """query($first: Int) { viewer { messages(first: $first) { totalCount unreadCount edges { node {
      id unreadCount messages(first: 10) { totalCount edges { node { id body sentByYou
        attachments { filename contentType downloadUrl } } } } } } } } }"""

    async def customer_cost(first: int) -> int:
        with count_queries() as counter:
            data = await client.execute(customer_query, {"first": first})
        edges = data["viewer"]["messages"]["edges"]
        assert len(edges) == first and all(len(e["node"]["messages"]["edges"]) == 1 for e in edges)
        return len(counter.statements)

    assert await customer_cost(1) == await customer_cost(5)


async def test_messages_page_through_a_long_thread_oldest_first(client, services):
    [(_, _, thread_id)] = await _threads(client, services, 1)
    for index in range(4):
        await h.post(client, thread_id, f"Follow-up {index}", f"f-{index}")
    query = """query($after: String) { viewer { messages { edges { node { messages(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { body } } } } } } } }"""
    bodies, after = [], None
    while True:
        page = (await client.execute(query, {"after": after}))["viewer"]["messages"]["edges"][0]["node"]["messages"]
        assert page["totalCount"] == 5
        bodies += [edge["node"]["body"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert bodies == ["Where did my payment go?"] + [f"Follow-up {i}" for i in range(4)]
    last = """{ viewer { messages { edges { node { messages(last: 2) { edges { node { body } } } } } } } }"""
    data = await client.execute(last)
    assert [e["node"]["body"] for e in data["viewer"]["messages"]["edges"][0]["node"]["messages"]["edges"]] == \
        ["Follow-up 2", "Follow-up 3"]
