"""The signed-in user's own account objects: devices (sessions), security events and
communication preferences. Thin: the rules and the querysets live in resolvers/identity/."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums
from graph.nodes import visible_nodes
from graph.pagination import CountedConnection, Ordering
from models import AuditEvent, Session
from resolvers.identity import security_events
from resolvers.identity.preferences import Preferences
from resolvers.identity.sessions import live_sessions_of

SESSION_ORDER = Ordering((("last_seen_at", True), ("id", True)))
EVENT_ORDER = Ordering((("occurred_at", True), ("id", True)))


@strawberry.type(
    name="Session",
    description="A device signed in to your account. Only your own live sessions are visible; "
    "the token itself is never shown.",
)
class SessionType(relay.Node):
    id: relay.NodeID[int]
    kind: enums.SessionMode = strawberry.field(  # type: ignore[valid-type]
        description="COOKIE: a browser. BEARER: a tool or app using a token."
    )
    user_agent: str = strawberry.field(description="The browser or app that signed in, as it described itself.")
    ip: str = strawberry.field(description="The network address the device signed in from.")
    created_at: datetime = strawberry.field(description="When the device signed in (UTC).")
    last_seen_at: datetime = strawberry.field(description="Last activity, to the minute (UTC).")
    expires_at: datetime = strawberry.field(
        description="When the session ends at the latest (UTC); it also ends after the idle timeout."
    )
    current: bool = strawberry.field(description="True for the session making this request.")

    @classmethod
    def from_model(cls, row: Session, current_id: int | None) -> SessionType:
        return cls(id=row.id, kind=row.kind, user_agent=row.user_agent, ip=row.ip, created_at=row.created_at,
                   last_seen_at=row.last_seen_at, expires_at=row.expires_at, current=row.id == current_id)

    @staticmethod
    def converter(info: Info):
        session = info.context.session
        current_id = session.id if session is not None else None
        return lambda row: SessionType.from_model(row, current_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        mine = live_sessions_of(info.context.user, info.context.services)
        return await visible_nodes(mine, node_ids, cls.converter(info), required)


@strawberry.type(name="SessionConnection", description="A page of your signed-in devices, most recently active first.")
class SessionConnection(CountedConnection[SessionType]):
    pass


@strawberry.type(
    name="SecurityEvent",
    description="Something that happened to your account's security (sign-ins, changes, signed-out "
    "devices), from the audit log. Only events about you are visible.",
)
class SecurityEventType(relay.Node):
    id: relay.NodeID[int]
    action: str = strawberry.field(description="Stable machine name of the event, e.g. `password.changed`.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    description: str = strawberry.field(description="What happened, in words.")
    by_staff: bool = strawberry.field(description="True when a staff member (support, admin) did it, not you.")
    ip: str | None = strawberry.field(
        description="Network address it came from; null when staff did it or it is not known."
    )
    user_agent: str | None = strawberry.field(
        description="Browser or app it came from; null when staff did it or it is not known."
    )

    @classmethod
    def from_model(cls, row: AuditEvent) -> SecurityEventType:
        staff = security_events.by_staff(row)
        return cls(id=row.id, action=row.action, occurred_at=row.occurred_at,
                   description=security_events.describe(row.action), by_staff=staff,
                   ip=None if staff or not row.ip else row.ip,
                   user_agent=None if staff or not row.user_agent else row.user_agent)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(security_events.events_about(info.context.user), node_ids, cls.from_model,
                                   required)


@strawberry.type(name="SecurityEventConnection", description="A page of your security events, newest first.")
class SecurityEventConnection(CountedConnection[SecurityEventType]):
    pass


@strawberry.type(
    name="CommunicationPreferences",
    description="Which messages you want from us, and whether statements are paperless. "
    "Security alerts are always sent and cannot be turned off.",
)
class CommunicationPreferencesType:
    payment_reminders: bool = strawberry.field(description="Reminders before a payment is due.")
    payment_confirmations: bool = strawberry.field(description="A message when a payment is received.")
    statements_ready: bool = strawberry.field(description="A message when a new statement is available.")
    marketing: bool = strawberry.field(description="Offers and news (off unless you turn it on).")
    paperless_statements: bool = strawberry.field(
        description="True: statements online only, no paper mail. False: paper statements are mailed too."
    )
    coverage_reminders: bool = strawberry.field(
        description="A message when a warranty or coverage product on your vehicle is about to end."
    )
    security_alerts: bool = strawberry.field(
        description="Always true: sign-in, password, email and other security alerts are always sent (read-only)."
    )
    updated_at: datetime | None = strawberry.field(description="When you last changed them; null while on the defaults.")

    @classmethod
    def from_preferences(cls, prefs: Preferences) -> CommunicationPreferencesType:
        return cls(payment_reminders=prefs.payment_reminders, payment_confirmations=prefs.payment_confirmations,
                   statements_ready=prefs.statements_ready, marketing=prefs.marketing,
                   paperless_statements=prefs.paperless_statements, security_alerts=True,
                   coverage_reminders=prefs.coverage_reminders,
                   updated_at=prefs.updated_at)
