"""In-portal notifications through /graphql: the viewer's connection (newest first, unread only),
the unread count, marking read, the payment a notification is about, and other users' rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from models import Notification, Payment, PaymentMethod, User
from models.enums import (
    BankAccountType,
    NotificationCategory,
    PaymentMethodKind,
    PaymentStatus,
)
from resolvers.notifications import notify
from tests import factories
from tests.api.servicing import builders

LIST = """query($unread: Boolean, $first: Int, $after: String) { viewer { unreadNotificationCount
  notifications(unreadOnly: $unread, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id category title body createdAt read readAt payment { id confirmationNumber } } } } } }"""
MARK = """mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) {
  markedCount unreadNotificationCount errors { code message field } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Notification { id title read } } }"


async def person(services, username: str) -> User:
    await builders.customer_with_login(services, username)
    return await User.get(username=username)


async def post(services, clock, user: User, count: int, category=NotificationCategory.SECURITY_ALERTS) -> None:
    for n in range(count):
        await notify(services, user=user, category=category, title=f"Note {n}", body=f"Body {n}")
        clock.advance(timedelta(minutes=1))


async def listing(client, **variables) -> dict:
    return (await client.execute(LIST, variables))["viewer"]


def titles(viewer: dict) -> list[str]:
    return [edge["node"]["title"] for edge in viewer["notifications"]["edges"]]


async def test_newest_first_with_keyset_pages(client, services, clock):
    alice = await person(services, "alice")
    await post(services, clock, alice, 5)
    await client.login("alice", factories.TEST_PASSWORD)
    first = await listing(client, first=2)
    assert titles(first) == ["Note 4", "Note 3"] and first["notifications"]["totalCount"] == 5
    assert first["unreadNotificationCount"] == 5
    assert first["notifications"]["pageInfo"]["hasNextPage"] is True
    # A notification posted meanwhile does not shift the next page.
    await post(services, clock, alice, 1)
    second = await listing(client, first=2, after=first["notifications"]["pageInfo"]["endCursor"])
    assert titles(second) == ["Note 2", "Note 1"]
    node = second["notifications"]["edges"][0]["node"]
    assert node["category"] == "SECURITY_ALERTS" and node["body"] == "Body 2" and node["read"] is False
    assert node["readAt"] is None and node["payment"] is None


async def test_mark_some_read_then_all(client, services, clock):
    alice = await person(services, "alice")
    await post(services, clock, alice, 3)
    await client.login("alice", factories.TEST_PASSWORD)
    edges = (await listing(client))["notifications"]["edges"]
    newest = edges[0]["node"]["id"]

    payload = (await client.execute(MARK, {"input": {"notificationIds": [newest]}}))["markNotificationsRead"]
    assert payload == {"markedCount": 1, "unreadNotificationCount": 2, "errors": []}
    unread = await listing(client, unread=True)
    assert titles(unread) == ["Note 1", "Note 0"] and unread["unreadNotificationCount"] == 2
    assert unread["notifications"]["totalCount"] == 2
    read = (await client.execute(NODE, {"id": newest}))["node"]
    assert read == {"id": newest, "title": "Note 2", "read": True}
    first_read_at = (await Notification.get(title="Note 2")).read_at

    # Marking it again changes nothing (its first read time stays).
    clock.advance(timedelta(minutes=10))
    payload = (await client.execute(MARK, {"input": {"notificationIds": [newest]}}))["markNotificationsRead"]
    assert payload["markedCount"] == 0 and payload["errors"] == []
    assert (await Notification.get(title="Note 2")).read_at == first_read_at

    payload = (await client.execute(MARK, {"input": {"all": True}}))["markNotificationsRead"]
    assert payload == {"markedCount": 2, "unreadNotificationCount": 0, "errors": []}
    assert titles(await listing(client, unread=True)) == []
    assert len(titles(await listing(client))) == 3


async def test_another_users_notification_is_not_found_and_nothing_is_marked(client, services, clock):
    alice, bob = await person(services, "alice"), await person(services, "bob")
    await post(services, clock, alice, 1)
    await post(services, clock, bob, 1)
    await client.login("alice", factories.TEST_PASSWORD)
    alices = (await listing(client))["notifications"]["edges"][0]["node"]["id"]
    await client.login("bob", factories.TEST_PASSWORD)
    bobs = (await listing(client))["notifications"]["edges"][0]["node"]["id"]
    assert titles(await listing(client)) == ["Note 0"] and bobs != alices

    payload = (await client.execute(MARK, {"input": {"notificationIds": [bobs, alices]}}))["markNotificationsRead"]
    assert payload["errors"] == [{"code": "NOT_FOUND", "message": "No notification with that id.",
                                  "field": ["notificationIds", "1"]}]
    assert payload["markedCount"] == 0 and payload["unreadNotificationCount"] == 1
    assert await Notification.filter(read_at__isnull=False).count() == 0
    assert (await client.execute(NODE, {"id": alices}))["node"] is None
    assert (await client.execute(NODE, {"id": bobs}))["node"]["title"] == "Note 0"

    for junk in ("junk", builders.gid("Contract", 1), builders.gid("Notification", 99999)):
        payload = (await client.execute(MARK, {"input": {"notificationIds": [junk]}}))["markNotificationsRead"]
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    # `all` marks only Bob's own.
    assert (await client.execute(MARK, {"input": {"all": True}}))["markNotificationsRead"]["markedCount"] == 1
    assert (await Notification.get(user_id=alice.id)).read_at is None


async def test_exactly_one_of_ids_or_all(client, services, clock):
    alice = await person(services, "alice")
    await post(services, clock, alice, 1)
    await client.login("alice", factories.TEST_PASSWORD)
    some_id = (await listing(client))["notifications"]["edges"][0]["node"]["id"]
    for value in ({}, {"all": False}, {"all": True, "notificationIds": [some_id]}):
        payload = (await client.execute(MARK, {"input": value}))["markNotificationsRead"]
        assert [e["code"] for e in payload["errors"]] == ["INVALID"], value
    payload = (await client.execute(MARK, {"input": {"notificationIds": [some_id] * 101}}))["markNotificationsRead"]
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert await Notification.filter(read_at__isnull=False).count() == 0
    # An empty list is a valid no-op.
    payload = (await client.execute(MARK, {"input": {"notificationIds": []}}))["markNotificationsRead"]
    assert payload == {"markedCount": 0, "unreadNotificationCount": 1, "errors": []}


async def test_a_notification_shows_its_payment_to_its_owner_only(client, services, clock):
    owner, dealer = await builders.customer_with_login(services, "alice")
    alice = await User.get(username="alice")
    contract = await builders.loan(owner, dealer)
    method = await PaymentMethod.create(customer=owner, kind=PaymentMethodKind.BANK_ACCOUNT, holder_name="Pat Doe",
                                        routing_number="011000015", account_type=BankAccountType.CHECKING,
                                        last4="6789", created_at=clock.now())
    payment = await Payment.create(contract=contract, method=method, created_by=alice, amount=Decimal("50.00"),
                                   scheduled_for=date(2026, 11, 2), status=PaymentStatus.SETTLED,
                                   confirmation_number="PMT-NOTE01", idempotency_key="k1",
                                   request_fingerprint="0" * 64, created_at=clock.now())
    await notify(services, user=alice, category=NotificationCategory.PAYMENT_PROBLEMS, title="Payment returned",
                 body="Your payment was returned.", payment=payment)
    await client.login("alice", factories.TEST_PASSWORD)
    node = (await listing(client))["notifications"]["edges"][0]["node"]
    assert node["payment"] == {"id": builders.gid("Payment", payment.id), "confirmationNumber": "PMT-NOTE01"}


async def test_a_new_payment_method_posts_a_security_notification(client, services):
    await builders.customer_with_login(services, "alice")
    await client.login("alice", factories.TEST_PASSWORD)
    added = await client.execute("""mutation { addDebitCard(input: {holderName: "Pat Doe",
      cardNumber: "5555555555554444", expiryMonth: 1, expiryYear: 2030}) { errors { code } } }""")
    assert added["addDebitCard"]["errors"] == []
    viewer = await listing(client)
    assert viewer["unreadNotificationCount"] == 1
    [edge] = viewer["notifications"]["edges"]
    assert edge["node"]["category"] == "SECURITY_ALERTS" and edge["node"]["title"] == "A payment method was added"
    assert "MASTERCARD card ending in 4444" in edge["node"]["body"]


async def test_signed_out_callers_see_nothing(client, services):
    body = (await client.post(MARK, {"input": {"all": True}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.execute("{ viewer { id } }"))["viewer"] is None
