"""Webhooks in the schema: endpoints, their deliveries and attempts (under `dealer { webhookEndpoints }`),
and the mutations that register, revoke and rotate. Thin: the rules are in resolvers/webhooks/, and
sending in jobs/webhooks.py. Dealer administrators only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from auth.permissions import DEALER_ADMINS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.nodes import visible_nodes
from graph.pagination import PAGE_ARGS_DESCRIPTION, CountedConnection, Ordering, paginate
from models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models import enums as model_enums
from resolvers.webhooks import endpoints as rules
from resolvers.webhooks import retries
from resolvers.webhooks.events import EVENT_TYPES
from resolvers.webhooks.retries import MAX_ATTEMPTS

ENDPOINT_TYPE_NAME = "WebhookEndpoint"
DELIVERY_TYPE_NAME = "WebhookDelivery"
NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))
RETRIES = retries.describe()
SIGNING = ("Each request is a POST of the JSON body `{id, type, created_at, data}` with the headers "
           "`Autofin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret>` and "
           "`Autofin-Event-Id`. Check the signature in constant time and refuse an old `t`; dedupe on the event id.")

WebhookDeliveryStatusEnum = strawberry.enum(
    model_enums.WebhookDeliveryStatus, name="WebhookDeliveryStatus",
    description=f"PENDING: waiting for its next attempt. SENDING: being sent now. DELIVERED: your endpoint answered "
    f"2xx. FAILED: given up after {MAX_ATTEMPTS} attempts (retries after {RETRIES}), or the endpoint was revoked.",
)


def _attempts_loader() -> DataLoader[int, list[WebhookAttempt]]:
    async def load(delivery_ids: Sequence[int]):
        grouped: dict[int, list[WebhookAttempt]] = defaultdict(list)
        for row in await WebhookAttempt.filter(delivery_id__in=list(delivery_ids)).order_by("id"):
            grouped[row.delivery_id].append(row)
        return [grouped.get(i, []) for i in delivery_ids]

    return DataLoader(load_fn=load)


@strawberry.type(name="WebhookAttempt", description="One try at sending a delivery to the endpoint.")
class WebhookAttemptType:
    attempted_at: datetime = strawberry.field(description="When it was sent.")
    status_code: int | None = strawberry.field(description="The HTTP status your endpoint answered; null when it did "
                                               "not answer (timeout, refused connection).")
    error: str = strawberry.field(description="Why it did not count as delivered (empty when it did).")
    duration_ms: int = strawberry.field(description="How long the request took, in milliseconds.")

    @classmethod
    def from_model(cls, row: WebhookAttempt) -> WebhookAttemptType:
        return cls(attempted_at=row.attempted_at, status_code=row.status_code, error=row.error,
                   duration_ms=row.duration_ms)


@strawberry.type(name=DELIVERY_TYPE_NAME, description="One event for one endpoint, retried until delivered or "
                 "given up.")
class WebhookDeliveryType(relay.Node):
    id: relay.NodeID[int]
    event_id: str = strawberry.field(description="The event's id (the body's `id` and the `Autofin-Event-Id` header); "
                                     "the same for every endpoint of one event.")
    event_type: str = strawberry.field(description=f"The event type: {', '.join(EVENT_TYPES)}.")
    status: WebhookDeliveryStatusEnum = strawberry.field(description="Where the delivery is.")  # type: ignore[valid-type]
    payload: str = strawberry.field(description="The exact JSON body sent (and signed).")
    attempt_count: int = strawberry.field(description=f"Attempts so far (at most {MAX_ATTEMPTS}).")
    next_attempt_at: datetime | None = strawberry.field(description="When it will be tried next; null unless PENDING.")
    last_error: str = strawberry.field(description="Why the last attempt failed (empty when none did).")
    created_at: datetime = strawberry.field(description="When the event happened.")
    delivered_at: datetime | None = strawberry.field(description="When your endpoint accepted it.")

    @classmethod
    def from_model(cls, row: WebhookDelivery) -> WebhookDeliveryType:
        pending = row.status == model_enums.WebhookDeliveryStatus.PENDING
        return cls(id=row.id, event_id=row.event_id, event_type=row.event_type, status=row.status,
                   payload=row.payload, attempt_count=row.attempts,
                   next_attempt_at=row.next_attempt_at if pending else None, last_error=row.last_error,
                   created_at=row.created_at, delivered_at=row.delivered_at)

    @strawberry.field(description=f"Every attempt, oldest first (at most {MAX_ATTEMPTS}).")
    async def attempts(self, info: Info) -> list[WebhookAttemptType]:
        rows = await info.context.loaders.named("webhook_attempts", _attempts_loader).load(self.id)
        return [WebhookAttemptType.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.deliveries_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="WebhookDeliveryConnection", description="A page of webhook deliveries.")
class WebhookDeliveryConnection(CountedConnection[WebhookDeliveryType]):
    pass


@strawberry.input(description="Which deliveries to list.")
class WebhookDeliveryFilter:
    statuses: list[WebhookDeliveryStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only deliveries in these states.")
    event_types: list[str] | None = strawberry.field(default=None, description="Only these event types.")


@strawberry.type(name=ENDPOINT_TYPE_NAME, description="An HTTPS endpoint of your dealership's systems that receives "
                 f"signed events. {SIGNING}")
class WebhookEndpointType(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where events are POSTed.")
    active: bool = strawberry.field(description="False once revoked: nothing more is sent.")
    secret_last4: str = strawberry.field(description="The last 4 characters of the signing secret (the secret itself "
                                         "is shown only when registered or rotated).")
    created_at: datetime = strawberry.field(description="When it was registered.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; null while active.")

    @classmethod
    def from_model(cls, row: WebhookEndpoint) -> WebhookEndpointType:
        return cls(id=row.id, url=row.url, active=row.revoked_at is None, secret_last4=row.secret_last4,
                   created_at=row.created_at, revoked_at=row.revoked_at)

    @strawberry.field(description=f"Deliveries to this endpoint, newest first. {PAGE_ARGS_DESCRIPTION}")
    async def deliveries(
        self, info: Info, filter: WebhookDeliveryFilter | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> WebhookDeliveryConnection:
        query = WebhookDelivery.filter(endpoint_id=self.id)  # the endpoint itself was loaded through visibility
        if filter is not None and filter.statuses is not None:
            query = query.filter(status__in=[model_enums.WebhookDeliveryStatus(s) for s in filter.statuses])
        if filter is not None and filter.event_types is not None:
            query = query.filter(event_type__in=filter.event_types)
        return await paginate(WebhookDeliveryConnection, query, NEWEST_FIRST, WebhookDeliveryType.from_model,
                              first=first, after=after, last=last, before=before)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.endpoints_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="WebhookEndpointConnection", description="A page of webhook endpoints.")
class WebhookEndpointConnection(CountedConnection[WebhookEndpointType]):
    pass


async def dealership_endpoints(info: Info, *, first: int | None, after: str | None, last: int | None,
                               before: str | None) -> WebhookEndpointConnection:
    """The caller's dealership's endpoints, newest first (DealerDesk.webhookEndpoints)."""
    return await paginate(WebhookEndpointConnection, rules.endpoints_visible_to(info.context.user), NEWEST_FIRST,
                          WebhookEndpointType.from_model, first=first, after=after, last=last, before=before)


# -- mutations ----------------------------------------------------------------------------------

@strawberry.input(description="Register an endpoint of your dealership's systems.")
class RegisterWebhookEndpointInput:
    url: str = strawberry.field(description="An https URL (at most 500 characters, no credentials in it).")


@strawberry.input(description="An endpoint to act on.")
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's `id`.")


@strawberry.type(description="Result of registering an endpoint or rotating its secret.")
class WebhookSecretPayload:
    endpoint: WebhookEndpointType | None = strawberry.field(description="The endpoint; null on failure.")
    secret: str | None = strawberry.field(description="The signing secret. Shown this once: store it in your "
                                          "system now; it is never returned again. Null on failure.")
    errors: list[UserError] = strawberry.field(description="INVALID (url) for a URL we will not call; CONFLICT for a "
                                               "URL already registered or too many endpoints; NOT_FOUND for an id "
                                               "that is not one of your active endpoints. Empty on success.")


@strawberry.type(description="Result of revoking an endpoint.")
class RevokeWebhookEndpointPayload:
    endpoint: WebhookEndpointType | None = strawberry.field(description="The endpoint, now inactive; null on failure.")
    errors: list[UserError] = strawberry.field(description="NOT_FOUND for an id that is not one of your active "
                                               "endpoints. Empty on success.")


def _secret_payload(outcome: rules.EndpointOutcome) -> WebhookSecretPayload:
    if outcome.problems:
        return WebhookSecretPayload(endpoint=None, secret=None, errors=user_errors(list(outcome.problems)))
    return WebhookSecretPayload(endpoint=WebhookEndpointType.from_model(outcome.endpoint), secret=outcome.secret,
                                errors=[])


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Register an https endpoint that receives your dealership's application and envelope status "
        f"changes as signed JSON, retried after {RETRIES} until it answers 2xx. Returns the signing secret once. "
        "Audited.",
    )
    async def register_webhook_endpoint(self, info: Info, input: RegisterWebhookEndpointInput) -> WebhookSecretPayload:
        ctx = info.context
        return _secret_payload(await rules.register_endpoint(ctx.services, user=ctx.user, origin=ctx.origin,
                                                             url=input.url))

    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Stop sending to an endpoint: nothing new is queued for it and what was waiting is given up. It "
        "stays listed with its history. Audited.",
    )
    async def revoke_webhook_endpoint(self, info: Info, input: WebhookEndpointIdInput) -> RevokeWebhookEndpointPayload:
        ctx = info.context
        outcome = await rules.revoke_endpoint(ctx.services, user=ctx.user, origin=ctx.origin,
                                              endpoint_id=row_id(input.endpoint_id, ENDPOINT_TYPE_NAME))
        if outcome.problems:
            return RevokeWebhookEndpointPayload(endpoint=None, errors=user_errors(list(outcome.problems)))
        return RevokeWebhookEndpointPayload(endpoint=WebhookEndpointType.from_model(outcome.endpoint), errors=[])

    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Replace an endpoint's signing secret (when the old one may have leaked). The new one signs "
        "everything sent from now on, retries included, and is returned this once. Audited.",
    )
    async def rotate_webhook_secret(self, info: Info, input: WebhookEndpointIdInput) -> WebhookSecretPayload:
        ctx = info.context
        return _secret_payload(await rules.rotate_secret(ctx.services, user=ctx.user, origin=ctx.origin,
                                                         endpoint_id=row_id(input.endpoint_id, ENDPOINT_TYPE_NAME)))
