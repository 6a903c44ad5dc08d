"""Webhook endpoints through GraphQL: a dealer administrator registers, lists, rotates and revokes;
the secret is returned once and kept encrypted; status changes queue one delivery per active endpoint;
nobody else sees or touches them."""

from __future__ import annotations

import json

from strawberry import relay
from tortoise.transactions import in_transaction

from auth.sessions import start_session
from models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models.enums import ApplicationStatus, Role, SessionKind, WebhookDeliveryStatus
from resolvers.webhooks.events import (
    APPLICATION_STATUS_CHANGED,
    ENVELOPE_STATUS_CHANGED,
    application_status_data,
    emit,
    envelope_status_data,
)
from tests import factories
from tests.api.origination.booking_builders import approved_deal, book
from tests.conftest import count_queries

REGISTER = """mutation($url: String!) { registerWebhookEndpoint(input: {url: $url}) {
  endpoint { id url active secretLast4 } secret errors { code message field } } }"""
REVOKE = """mutation($id: ID!) { revokeWebhookEndpoint(input: {endpointId: $id}) {
  endpoint { id active revokedAt } errors { code field } } }"""
ROTATE = """mutation($id: ID!) { rotateWebhookSecret(input: {endpointId: $id}) {
  endpoint { secretLast4 } secret errors { code } } }"""
LIST = """{ dealer { webhookEndpoints(first: 10) { totalCount edges { node { id url active secretLast4
  deliveries(first: 10) { totalCount edges { node { eventType status payload attemptCount
    attempts { statusCode error attemptedAt } } } } } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on WebhookEndpoint { url } } }"""
URL = "https://dms.example.com/autofin/hooks"


async def sign_in(client, services, user) -> None:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


async def admin_of(services, dealership, name: str = "dealer.admin"):
    return await factories.user(services, name, Role.DEALER_ADMIN, dealership=dealership)


async def register(client, url: str = URL) -> dict:
    return (await client.execute(REGISTER, {"url": url}))["registerWebhookEndpoint"]


async def test_registering_returns_the_secret_once_and_keeps_it_encrypted(client, services):
    dealership = await factories.dealership()
    await sign_in(client, services, await admin_of(services, dealership))

    done = await register(client)
    assert done["errors"] == [] and done["endpoint"]["url"] == URL and done["endpoint"]["active"] is True
    secret = done["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert done["endpoint"]["secretLast4"] == secret[-4:]

    row = await WebhookEndpoint.get()
    assert secret not in row.secret_encrypted and secret[6:] not in row.secret_encrypted
    assert services.cipher.decrypt(row.secret_encrypted, table="webhook_endpoints", column="secret") == secret
    audit_row = await AuditEvent.get(action="webhook.endpoint_registered")
    assert secret not in json.dumps(audit_row.details)

    listed = (await client.execute(LIST))["dealer"]["webhookEndpoints"]
    assert listed["totalCount"] == 1 and secret not in json.dumps(listed)
    assert listed["edges"][0]["node"]["secretLast4"] == secret[-4:]

    rotated = (await client.execute(ROTATE, {"id": done["endpoint"]["id"]}))["rotateWebhookSecret"]
    assert rotated["errors"] == [] and rotated["secret"] != secret
    assert rotated["endpoint"]["secretLast4"] == rotated["secret"][-4:]
    assert await AuditEvent.filter(action="webhook.secret_rotated").count() == 1


async def test_only_https_urls_we_may_call_are_accepted(client, services):
    await sign_in(client, services, await admin_of(services, await factories.dealership()))
    for url in ("http://dms.example.com/hooks", "ftp://dms.example.com/", "https://user:pw@dms.example.com/",
                "https://10.0.0.5/hooks", "https://169.254.169.254/latest", "not a url", "https:///nohost",
                "https://dms.example.com/#frag", "https://" + "a" * 500 + ".com/"):
        done = await register(client, url)
        assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID", ["url"])], url
        assert done["secret"] is None
    # Outside production a local receiver may use http (the tests' receiver does).
    assert (await register(client, "http://127.0.0.1:8089/hooks"))["errors"] == []
    again = await register(client, "http://127.0.0.1:8089/hooks")
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    assert await WebhookEndpoint.all().count() == 1


async def test_status_changes_queue_one_delivery_per_active_endpoint(client, services):
    dealership = await factories.dealership()
    await sign_in(client, services, await admin_of(services, dealership))
    first = await register(client, "https://a.example.com/hooks")
    await register(client, "https://b.example.com/hooks")
    revoked = await register(client, "https://c.example.com/hooks")
    assert (await client.execute(REVOKE, {"id": revoked["endpoint"]["id"]}))["revokeWebhookEndpoint"]["errors"] == []

    deal = await approved_deal(services, dealership)
    await book(services, deal.envelope)  # the application becomes FUNDED

    rows = await WebhookDelivery.all().order_by("id").select_related("endpoint")
    assert sorted(r.endpoint.url for r in rows) == ["https://a.example.com/hooks", "https://b.example.com/hooks"]
    assert len({r.event_id for r in rows}) == 1 and {r.payload for r in rows} == {rows[0].payload}
    body = json.loads(rows[0].payload)
    assert body == {"id": rows[0].event_id, "type": "application.status_changed", "created_at": "2026-11-02T15:00:00Z",
                    "data": {"application_number": deal.application.number, "status": "FUNDED",
                             "decision_outcome": "APPROVED"}}

    listed = (await client.execute(LIST))["dealer"]["webhookEndpoints"]
    by_url = {e["node"]["url"]: e["node"] for e in listed["edges"]}
    assert by_url["https://c.example.com/hooks"]["active"] is False
    assert by_url["https://c.example.com/hooks"]["deliveries"]["totalCount"] == 0
    delivery = by_url["https://a.example.com/hooks"]["deliveries"]["edges"][0]["node"]
    assert delivery == {"eventType": "application.status_changed", "status": "PENDING", "payload": rows[0].payload,
                        "attemptCount": 0, "attempts": []}
    assert first["endpoint"]["id"] == by_url["https://a.example.com/hooks"]["id"]


async def test_emit_in_a_rolled_back_transaction_queues_nothing(services):
    dealership = await factories.dealership()
    admin = await admin_of(services, dealership)
    await WebhookEndpoint.create(dealership=dealership, url=URL, secret_encrypted="x", secret_last4="abcd",
                                 created_by=admin, created_at=services.clock.now())
    deal = await approved_deal(services, dealership)
    try:
        async with in_transaction() as connection:
            await emit(services, dealership_id=dealership.id, event_type=ENVELOPE_STATUS_CHANGED,
                       data=envelope_status_data(deal.application.number, deal.envelope), using_db=connection)
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await WebhookDelivery.all().count() == 0
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    body = json.loads((await WebhookDelivery.get()).payload)
    assert body["data"] == {"application_number": deal.application.number,
                            "status": ApplicationStatus.CONTRACTED.value, "decision_outcome": None}


async def test_revoking_stops_what_was_waiting_and_nothing_new_is_queued(client, services):
    dealership = await factories.dealership()
    await sign_in(client, services, await admin_of(services, dealership))
    done = await register(client)
    deal = await approved_deal(services, dealership)
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    revoked = (await client.execute(REVOKE, {"id": done["endpoint"]["id"]}))["revokeWebhookEndpoint"]
    assert revoked["errors"] == [] and revoked["endpoint"]["active"] is False
    assert revoked["endpoint"]["revokedAt"] == "2026-11-02T15:00:00+00:00"
    waiting = await WebhookDelivery.get()
    assert waiting.status == WebhookDeliveryStatus.FAILED and waiting.last_error == "endpoint revoked"

    await book(services, deal.envelope)
    assert await WebhookDelivery.all().count() == 1
    again = (await client.execute(REVOKE, {"id": done["endpoint"]["id"]}))["revokeWebhookEndpoint"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]
    assert await AuditEvent.filter(action="webhook.endpoint_revoked").count() == 1


async def test_another_dealership_and_dealer_users_cannot_see_or_touch_them(client, services):
    ours, theirs = await factories.dealership(), await factories.dealership()
    await sign_in(client, services, await admin_of(services, ours))
    done = await register(client)
    endpoint_id = done["endpoint"]["id"]

    await sign_in(client, services, await admin_of(services, theirs, "other.admin"))
    assert (await client.execute(LIST))["dealer"]["webhookEndpoints"]["totalCount"] == 0
    assert (await client.execute(NODE, {"id": endpoint_id}))["node"] is None
    for mutation, name in ((REVOKE, "revokeWebhookEndpoint"), (ROTATE, "rotateWebhookSecret")):
        answer = (await client.execute(mutation, {"id": endpoint_id}))[name]
        assert [e["code"] for e in answer["errors"]] == ["NOT_FOUND"]
    # A malformed id or another type's id answers the same.
    wrong = str(relay.GlobalID("Contract", "1"))
    assert [e["code"] for e in (await client.execute(REVOKE, {"id": wrong}))["revokeWebhookEndpoint"]["errors"]] == [
        "NOT_FOUND"]

    await sign_in(client, services, await factories.user(services, "dealer.user", Role.DEALER_USER, dealership=ours))
    listed = (await client.post(LIST)).json()
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    register_as_user = (await client.post(REGISTER, {"url": URL})).json()
    assert register_as_user["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client.execute(NODE, {"id": endpoint_id}))["node"] is None
    assert (await WebhookEndpoint.get()).revoked_at is None


async def test_a_dealership_has_at_most_five_active_endpoints(client, services):
    await sign_in(client, services, await admin_of(services, await factories.dealership()))
    for n in range(5):
        assert (await register(client, f"https://h{n}.example.com/"))["errors"] == []
    sixth = await register(client, "https://h5.example.com/")
    assert [e["code"] for e in sixth["errors"]] == ["CONFLICT"]


async def test_listing_costs_the_same_queries_however_many_deliveries_and_attempts(client, services):
    dealership = await factories.dealership()
    await sign_in(client, services, await admin_of(services, dealership))
    await register(client)
    endpoint = await WebhookEndpoint.get()

    async def add_deliveries(count: int) -> None:
        for _ in range(count):
            await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
                       data={"application_number": "A1", "status": "FUNDED", "decision_outcome": None})
        for delivery in await WebhookDelivery.filter(endpoint=endpoint):
            await WebhookAttempt.create(delivery=delivery, attempted_at=services.clock.now(), status_code=500,
                                        error="HTTP 500", duration_ms=3)

    async def queries() -> int:
        with count_queries() as counter:
            await client.execute(LIST)
        return len(counter.statements)

    await add_deliveries(2)
    few = await queries()
    await add_deliveries(6)
    assert await queries() == few
