"""Webhook delivery to a real local HTTP receiver: signed bodies, retries with backoff, giving up,
attempts kept and listable through GraphQL, and one sender per delivery with several workers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from auth.sessions import start_session
from jobs.webhooks import deliver_due_webhooks, signature
from models import User, WebhookAttempt, WebhookDelivery
from models.enums import Role, SessionKind, WebhookDeliveryStatus
from resolvers.webhooks.events import APPLICATION_STATUS_CHANGED, application_status_data, emit
from resolvers.webhooks.retries import BACKOFF, MAX_ATTEMPTS
from tests import factories
from tests.api.origination.booking_builders import approved_deal, book
from tests.webhook_receiver import receiver, verify  # noqa: F401 - receiver is a fixture

REGISTER = """mutation($url: String!) { registerWebhookEndpoint(input: {url: $url}) {
  endpoint { id } secret errors { code message } } }"""
REVOKE = """mutation($id: ID!) { revokeWebhookEndpoint(input: {endpointId: $id}) { errors { code } } }"""
DELIVERIES = """{ dealer { webhookEndpoints(first: 5) { edges { node { deliveries(first: 10) { edges { node {
  eventId eventType status attemptCount nextAttemptAt lastError deliveredAt
  attempts { statusCode error attemptedAt durationMs } } } } } } } } }"""


async def sign_in(client, services, user) -> None:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


@pytest.fixture
async def dealer(client, services, receiver):  # noqa: F811 - the fixture
    """A dealership whose admin registered the local receiver; returns (dealership, secret, endpoint id)."""
    dealership = await factories.dealership()
    await sign_in(client, services, await factories.user(services, "dealer.admin", Role.DEALER_ADMIN,
                                                         dealership=dealership))
    done = (await client.execute(REGISTER, {"url": receiver.url}))["registerWebhookEndpoint"]
    assert done["errors"] == []
    return dealership, done["secret"], done["endpoint"]["id"]


async def deliver(services, worker_id: str = "w1"):
    return await deliver_due_webhooks(services, worker_id=worker_id)


async def listed(client) -> list[dict]:
    endpoints = (await client.execute(DELIVERIES))["dealer"]["webhookEndpoints"]["edges"]
    return [edge["node"] for edge in endpoints[0]["node"]["deliveries"]["edges"]]


async def test_a_funded_application_is_delivered_signed(client, services, receiver, dealer):  # noqa: F811
    dealership, secret, _ = dealer
    deal = await approved_deal(services, dealership)
    await book(services, deal.envelope)

    report = await deliver(services)
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    [request] = receiver.requests
    row = await WebhookDelivery.get()
    assert request.path == "/hooks/autofin" and request.body == row.payload.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["autofin-event-id"] == row.event_id
    assert request.headers["autofin-event-type"] == "application.status_changed"
    timestamp = verify(secret, request.headers["autofin-signature"], request.body)
    assert timestamp == int(services.clock.now().timestamp())
    body = json.loads(request.body)
    assert body["id"] == row.event_id and body["data"]["status"] == "FUNDED"
    with pytest.raises(AssertionError):
        verify("whsec_wrong", request.headers["autofin-signature"], request.body)

    assert row.status == WebhookDeliveryStatus.DELIVERED and row.delivered_at == services.clock.now()
    [item] = await listed(client)
    assert item["status"] == "DELIVERED" and item["attemptCount"] == 1 and item["nextAttemptAt"] is None
    assert item["attempts"][0]["statusCode"] == 200 and item["attempts"][0]["error"] == ""
    assert (await deliver(services)).delivered == 0 and len(receiver.requests) == 1  # nothing twice


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    # Recomputable by anyone: python -c 'import hmac,hashlib; print(hmac.new(b"whsec_test", b"1793631600.{}",
    # hashlib.sha256).hexdigest())'
    assert signature("whsec_test", 1793631600, "{}") == (
        "t=1793631600,v1=" + __import__("hmac").new(b"whsec_test", b"1793631600.{}", "sha256").hexdigest())


async def test_a_failure_is_retried_after_the_backoff_and_then_delivered(client, services, receiver, dealer):  # noqa: F811
    dealership, secret, _ = dealer
    deal = await approved_deal(services, dealership)
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    receiver.answer(500)

    assert (await deliver(services)).retried == 1
    row = await WebhookDelivery.get()
    assert row.status == WebhookDeliveryStatus.PENDING and row.last_error == "HTTP 500"
    assert row.next_attempt_at == services.clock.now() + BACKOFF[0]
    [item] = await listed(client)
    assert item["nextAttemptAt"] == "2026-11-02T15:01:00+00:00" and item["attempts"][0]["statusCode"] == 500

    services.clock.advance(BACKOFF[0] - timedelta(seconds=1))
    assert (await deliver(services)).delivered == 0 and len(receiver.requests) == 1  # not yet due
    services.clock.advance(timedelta(seconds=1))
    assert (await deliver(services)).delivered == 1
    first, second = receiver.requests
    assert first.body == second.body  # the same event, byte for byte
    assert verify(secret, second.headers["autofin-signature"], second.body) == int(services.clock.now().timestamp())
    [item] = await listed(client)
    assert item["status"] == "DELIVERED" and [a["statusCode"] for a in item["attempts"]] == [500, 200]
    assert item["lastError"] == ""


async def test_after_the_last_retry_the_delivery_is_failed(client, services, receiver, dealer):  # noqa: F811
    dealership, _, _ = dealer
    deal = await approved_deal(services, dealership)
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    receiver.answer(*[503] * MAX_ATTEMPTS)

    for wait in BACKOFF:
        assert (await deliver(services)).retried == 1
        services.clock.advance(wait)
    assert (await deliver(services)).failed == 1
    row = await WebhookDelivery.get()
    assert row.status == WebhookDeliveryStatus.FAILED and row.attempts == MAX_ATTEMPTS == 6
    services.clock.advance(timedelta(days=2))
    assert (await deliver(services)).failed == 0 and len(receiver.requests) == MAX_ATTEMPTS
    await sign_in(client, services, await User.get(username="dealer.admin"))  # the session timed out meanwhile
    [item] = await listed(client)
    assert item["status"] == "FAILED" and len(item["attempts"]) == 6 and item["lastError"] == "HTTP 503"
    assert all(a["durationMs"] >= 0 for a in item["attempts"])


async def test_no_answer_is_an_attempt_without_a_status_code(client, services, dealer):
    dealership, _, _ = dealer
    from models import WebhookEndpoint

    await WebhookEndpoint.all().update(url="http://127.0.0.1:9/closed")  # discard port: nothing listens
    deal = await approved_deal(services, dealership)
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    assert (await deliver(services)).retried == 1
    attempt = await WebhookAttempt.get()
    assert attempt.status_code is None and "ConnectError" in attempt.error


async def test_a_revoked_endpoint_gets_nothing_more(client, services, receiver, dealer):  # noqa: F811
    dealership, _, endpoint_id = dealer
    deal = await approved_deal(services, dealership)
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    receiver.answer(500)
    await deliver(services)
    assert (await client.execute(REVOKE, {"id": endpoint_id}))["revokeWebhookEndpoint"]["errors"] == []
    services.clock.advance(timedelta(hours=1))
    await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(deal.application))
    assert (await deliver(services)).delivered == 0
    assert len(receiver.requests) == 1 and await WebhookDelivery.all().count() == 1


@pytest.mark.postgres_only
async def test_two_workers_send_each_delivery_once(client, services, receiver, dealer):  # noqa: F811
    dealership, _, _ = dealer
    for _ in range(5):
        deal = await approved_deal(services, dealership)
        await emit(services, dealership_id=dealership.id, event_type=APPLICATION_STATUS_CHANGED,
                   data=application_status_data(deal.application))
    reports = await asyncio.gather(deliver(services, "w1"), deliver(services, "w2"))
    assert sum(r.delivered for r in reports) == 5
    assert len(receiver.requests) == 5
    assert len({r.headers["autofin-event-id"] for r in receiver.requests}) == 5
    assert await WebhookAttempt.all().count() == 5
