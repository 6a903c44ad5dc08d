"""Live updates: the `Subscription` root type (over WebSocket, graphql-transport-ws; see
graph/live_socket.py for the transport and its checks). Thin: what a subscriber receives is decided
in resolvers/live/subscriptions.py, when each event is delivered, with the viewer's rights then."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import SIGNED_IN
from graph.access import allow
from graph.ids import row_id
from graph.notifications import NotificationType
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.live import subscriptions as rules
from resolvers.live.subscriptions import MESSAGE_PARTIES, SubscriptionEnded

# The node type names of secure-message threads and messages (graph/messages/).
THREAD_TYPE = "MessageThread"
MESSAGE_TYPE = "SecureMessage"

SINCE_DESCRIPTION = (
    "The `eventId` of the last event you received, to have the events you missed since then (your own, "
    "kept for a day) sent first. Without it, only new events are sent. The thread or the notification list "
    "stays the record: after a long disconnection re-read it."
)


@strawberry.type(name="LiveMessage", description="A new secure message on a thread you may read, as it arrives.")
class LiveMessageType:
    event_id: strawberry.ID = strawberry.field(
        description="The live event's id: pass the last one you received as `since` when you reconnect.")
    thread_id: relay.GlobalID = strawberry.field(description="The thread's global id (a MessageThread).")
    message_id: relay.GlobalID = strawberry.field(description="The message's global id (a SecureMessage).")
    from_support: bool = strawberry.field(description="True when support wrote it, false when the customer did.")
    created_at: datetime = strawberry.field(description="When it was posted (UTC).")
    body: str = strawberry.field(description="The message text.")

    @classmethod
    def from_live(cls, message: rules.LiveMessage) -> LiveMessageType:
        return cls(event_id=strawberry.ID(str(message.event_id)),
                   thread_id=relay.GlobalID(THREAD_TYPE, str(message.thread_id)),
                   message_id=relay.GlobalID(MESSAGE_TYPE, str(message.message_id)),
                   from_support=message.from_support, created_at=message.created_at, body=message.body)


@strawberry.type(name="LiveNotification", description="A new notification of yours, as it is posted.")
class LiveNotificationType:
    event_id: strawberry.ID = strawberry.field(
        description="The live event's id: pass the last one you received as `since` when you reconnect.")
    notification: NotificationType = strawberry.field(description="The notification (as in `viewer.notifications`).")


def _live(info: Info):
    """The WebSocket connection's context; a subscription sent over HTTP is a client mistake."""
    if not getattr(info.context, "over_websocket", False):
        raise ClientFacingError(ErrorCode.INVALID, "Subscriptions run over a WebSocket at /graphql speaking "
                                "graphql-transport-ws, not over HTTP.")
    return info.context


def _since(raw: strawberry.ID | None) -> int | None:
    if raw is None:
        return None
    text = str(raw)
    if not text.isdigit() or len(text) > 18:
        raise ClientFacingError(ErrorCode.INVALID, "`since` must be an eventId you received.")
    return int(text)


def _thread(raw: relay.GlobalID | None) -> int | None:
    if raw is None:
        return None
    thread_id = row_id(str(raw), THREAD_TYPE)
    if thread_id is None:
        raise ClientFacingError(ErrorCode.NOT_FOUND, "No such thread.")
    return thread_id


@strawberry.type(
    description="Live updates, over a WebSocket at /graphql speaking graphql-transport-ws, signed in with your "
    "session (bearer token, or the session cookie plus its CSRF token, in `connection_init`). A revoked or "
    "expired session closes the socket (code 4401)."
)
class Subscription:
    @strawberry.subscription(
        extensions=[allow(MESSAGE_PARTIES)],
        description="New secure messages as they are posted. Customers: on your threads. Support staff: on the "
        "threads assigned to you, or on the thread given as `threadId`.",
    )
    async def messages(
        self,
        info: Info,
        thread_id: Annotated[relay.GlobalID | None, strawberry.argument(
            description="Only this thread (a MessageThread id you may read).")] = None,
        since: Annotated[strawberry.ID | None, strawberry.argument(description=SINCE_DESCRIPTION)] = None,
    ) -> AsyncGenerator[LiveMessageType, None]:
        ctx = _live(info)
        stream = rules.message_stream(ctx.fanout, ctx.viewer(), thread_id=_thread(thread_id), since=_since(since))
        try:
            async for message in stream:
                yield LiveMessageType.from_live(message)
        except SubscriptionEnded as ended:
            await ctx.end_connection(f"Session ended ({ended})")

    @strawberry.subscription(
        extensions=[allow(SIGNED_IN)],
        description="Your new notifications (the bell) as they are posted.",
    )
    async def notifications(
        self,
        info: Info,
        since: Annotated[strawberry.ID | None, strawberry.argument(description=SINCE_DESCRIPTION)] = None,
    ) -> AsyncGenerator[LiveNotificationType, None]:
        ctx = _live(info)
        try:
            async for live in rules.notification_stream(ctx.fanout, ctx.viewer(), since=_since(since)):
                yield LiveNotificationType(event_id=strawberry.ID(str(live.event_id)),
                                           notification=NotificationType.from_model(live.notification))
        except SubscriptionEnded as ended:
            await ctx.end_connection(f"Session ended ({ended})")
