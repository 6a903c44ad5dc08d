"""What a live subscriber receives, decided when each event is delivered.

A live event carries ids only. Before anything is sent, the subscriber's session is read again (a
revoked, expired or idle session, or a deactivated user or changed role, ends the subscription) and
the object is loaded with the user's rights as they are now:

- messages: a customer receives new messages of their own threads; support staff receive new
  messages of the threads assigned to them, or of the one thread they asked for.
- notifications: a user receives their own new notifications.

An object the user may no longer see is skipped, exactly as if there had been no event. The
thread and the notification list are the record: after a reconnect a client re-reads them, or asks
for the events it missed with `since` (the last event id it received; events are kept a day).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from auth.permissions import Audience
from auth.sessions import idle_timeout
from models import LiveEvent, MessageThread, Notification, SecureMessage, Session, User
from models.enums import Role, SessionScope
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.live.fanout import Event, Fanout, Subscriber
from resolvers.live.publish import MESSAGE, NOTIFICATION
from resolvers.notifications_queries import notifications_of
from service.clock import Clock
from service.config import Settings

# Who may subscribe to messages: the customers whose threads they are, and support staff.
MESSAGE_PARTIES = Audience({Role.CUSTOMER, Role.SUPPORT, Role.SUPPORT_LEAD})
STAFF_ROLES = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})
# Events replayed at most for `since`.
MAX_REPLAY = 200


class SubscriptionEnded(Exception):
    """The subscriber's session is no longer valid: the subscription (and its connection) ends."""


@dataclass(frozen=True)
class LiveViewer:
    """Who is subscribed: the user and the session the WebSocket was opened with."""

    user: User
    session_id: int
    clock: Clock
    settings: Settings


@dataclass(frozen=True)
class LiveMessage:
    event_id: int
    thread_id: int
    message_id: int
    from_support: bool
    created_at: datetime
    body: str


@dataclass(frozen=True)
class LiveNotification:
    event_id: int
    notification: Notification


async def session_is_valid(who: LiveViewer) -> bool:
    """The session is still what it was at connection: not revoked, not expired or idle, FULL scope,
    and its user still active with the same role. Reads only: a live connection is not activity, so
    it never extends the session's idle timeout."""
    session = await Session.filter(id=who.session_id).select_related("user").first()
    if session is None or session.revoked_at is not None or session.scope != SessionScope.FULL:
        return False
    now = who.clock.now()
    if now >= session.expires_at or now - session.last_seen_at >= idle_timeout(who.settings):
        return False
    user = session.user
    return user.is_active and user.id == who.user.id and user.role == who.user.role


def _is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


async def check_thread_argument(user: User, thread_id: int | None) -> None:
    """A thread asked for must be one the user may see; otherwise NOT_FOUND (a missing thread and
    someone else's look alike)."""
    if thread_id is None:
        return
    query = MessageThread.filter(id=thread_id)
    if not _is_staff(user):
        query = query.filter(customer_id=user.customer_id if user.customer_id is not None else -1)
    if not await query.exists():
        raise ClientFacingError(ErrorCode.NOT_FOUND, "No such thread.")


async def visible_message(user: User, event: Event, *, thread_id: int | None) -> LiveMessage | None:
    """The message of a MESSAGE event if `user` may read it now (and it is on `thread_id` when given)."""
    message_id = event.payload.get("message")
    if not isinstance(message_id, int):
        return None
    message = await SecureMessage.filter(id=message_id).select_related("thread").first()
    if message is None:
        return None
    thread = message.thread
    if thread_id is not None and thread.id != thread_id:
        return None
    if _is_staff(user):
        allowed = thread_id is not None or thread.assigned_to_id == user.id
    else:
        allowed = user.customer_id is not None and thread.customer_id == user.customer_id
    if not allowed:
        return None
    return LiveMessage(event_id=event.id, thread_id=thread.id, message_id=message.id,
                       from_support=message.from_support, created_at=message.created_at, body=message.body)


async def visible_notification(user: User, event: Event) -> LiveNotification | None:
    notification_id = event.payload.get("notification")
    if event.user_id != user.id or not isinstance(notification_id, int):
        return None
    row = await notifications_of(user).filter(id=notification_id).first()
    return LiveNotification(event_id=event.id, notification=row) if row is not None else None


async def _replay(user: User, topic: str, since: int | None) -> list[Event]:
    """The user's own events of `topic` after `since` (oldest first), for a reconnecting client."""
    if since is None:
        return []
    rows = await LiveEvent.filter(user_id=user.id, topic=topic, id__gt=since).order_by("id").limit(
        MAX_REPLAY).values("id", "user_id", "topic", "payload")
    return [Event.from_row(row) for row in rows]


async def _events(fanout: Fanout, subscriber: Subscriber, who: LiveViewer, replay: list[Event]
                  ) -> AsyncIterator[Event]:
    """Replayed events, then live ones, each after the session is checked again."""
    for event in replay:
        yield event
    replayed = {event.id for event in replay}
    check_every = max(who.settings.live_session_check_seconds, 0.01)
    while True:
        if subscriber.overflowed:
            raise SubscriptionEnded("fell behind")
        event = None
        with contextlib.suppress(asyncio.TimeoutError):
            event = await asyncio.wait_for(subscriber.queue.get(), timeout=check_every)
        if not await session_is_valid(who):
            raise SubscriptionEnded("session ended")
        if event is not None and event.id not in replayed:
            yield event


async def message_stream(fanout: Fanout, who: LiveViewer, *, thread_id: int | None, since: int | None
                         ) -> AsyncIterator[LiveMessage]:
    user = who.user
    await check_thread_argument(user, thread_id)
    if _is_staff(user):
        # Staff: the thread asked for, or every message event (kept when the thread is theirs).
        route = {"thread_id": thread_id} if thread_id is not None else {"all_messages": True}
    else:
        route = {"user_id": user.id}
    with fanout.subscribe(**route) as subscriber:
        sent: set[int] = set()
        async for event in _events(fanout, subscriber, who, await _replay(user, MESSAGE, since)):
            if event.topic != MESSAGE:
                continue
            message = await visible_message(user, event, thread_id=thread_id)
            # One message can be announced to several users (the customer and the assignee).
            if message is not None and message.message_id not in sent:
                sent.add(message.message_id)
                yield message


async def notification_stream(fanout: Fanout, who: LiveViewer, *, since: int | None
                              ) -> AsyncIterator[LiveNotification]:
    with fanout.subscribe(user_id=who.user.id) as subscriber:
        async for event in _events(fanout, subscriber, who, await _replay(who.user, NOTIFICATION, since)):
            if event.topic != NOTIFICATION:
                continue
            notification = await visible_notification(who.user, event)
            if notification is not None:
                yield notification
