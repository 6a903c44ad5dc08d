"""The signed-in user as seen by themself."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums
from graph.dealers.types import DealershipType
from graph.identity.account_types import (
    EVENT_ORDER,
    SESSION_ORDER,
    CommunicationPreferencesType,
    SecurityEventConnection,
    SecurityEventType,
    SessionConnection,
    SessionType,
)
from graph.messages.lists import VIEWER_MESSAGES_DESCRIPTION, viewer_threads
from graph.messages.types import MessageThreadConnection, MessageThreadFilter
from graph.nodes import visible_nodes
from graph.notifications import (
    NOTIFICATION_ORDER,
    NotificationConnection,
    NotificationType,
)
from graph.pagination import PAGE_ARGS_DESCRIPTION, paginate
from graph.payments.methods import PaymentMethodType, payment_methods_of_viewer
from graph.servicing.types import CustomerType
from models import User
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.identity import preferences, security_events
from resolvers.identity.sessions import live_sessions_of
from resolvers.masking import mask_email
from resolvers.notifications_queries import notifications_of, unread_count


def _own(user_type: UserType, info: Info) -> User | None:
    """The signed-in user when `user_type` is them; account internals are shown to no one else."""
    user = info.context.user
    return user if user is not None and user.id == user_type.id else None


@strawberry.type(name="User", description="A login. Reach your own data through `viewer`.")
class UserType(relay.Node):
    id: relay.NodeID[int]
    username: str = strawberry.field(description="The user ID used to sign in.")
    role: enums.Role = strawberry.field(description="What this user may do.")  # type: ignore[valid-type]
    masked_email: str = strawberry.field(description="Email on file, mostly hidden (e.g. a***@example.com).")

    @strawberry.field(description="True when two-step verification (TOTP) is on: sign-in then needs a code.")
    async def mfa_enabled(self, info: Info) -> bool:
        return await User.filter(id=self.id, mfa_enabled_at__isnull=False).exists()
    customer_id: strawberry.Private[int | None]
    dealership_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: User) -> UserType:
        return cls(id=row.id, username=row.username, role=row.role, masked_email=mask_email(row.email),
                   customer_id=row.customer_id, dealership_id=row.dealership_id)

    @strawberry.field(description="The customer record of a CUSTOMER user; null for staff.")
    async def customer(self, info: Info) -> CustomerType | None:
        if self.customer_id is None:
            return None
        row = await info.context.loaders.customers.load(self.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="The dealership of a dealer user; null for everyone else.")
    async def dealership(self, info: Info) -> DealershipType | None:
        if self.dealership_id is None:
            return None
        row = await info.context.loaders.dealerships.load(self.dealership_id)
        return DealershipType.from_model(row) if row else None

    @strawberry.field(
        description="Your signed-in devices (live sessions), most recently active first; null on anyone "
        f"but yourself. Revoke with `revokeSession` / `revokeAllSessions`. {PAGE_ARGS_DESCRIPTION}"
    )
    async def sessions(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> SessionConnection | None:
        viewer = _own(self, info)
        if viewer is None:
            return None
        return await paginate(SessionConnection, live_sessions_of(viewer, info.context.services), SESSION_ORDER,
                              SessionType.converter(info), first=first, after=after, last=last, before=before)

    @strawberry.field(
        description="Security events of your account (sign-ins, changes, revoked devices, staff actions), "
        f"newest first; null on anyone but yourself. {PAGE_ARGS_DESCRIPTION}"
    )
    async def security_events(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> SecurityEventConnection | None:
        viewer = _own(self, info)
        if viewer is None:
            return None
        return await paginate(SecurityEventConnection, security_events.events_about(viewer), EVENT_ORDER,
                              SecurityEventType.from_model, first=first, after=after, last=last, before=before)

    @strawberry.field(
        description="Which messages you want and whether statements are paperless (defaults until you change "
        "them with `updateCommunicationPreferences`). Only on yourself."
    )
    async def communication_preferences(self, info: Info) -> CommunicationPreferencesType:
        viewer = _own(self, info)
        if viewer is None:
            raise ClientFacingError(ErrorCode.NOT_FOUND, "No such object.")
        return CommunicationPreferencesType.from_preferences(await preferences.preferences_of(viewer.id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        own = User.filter(id=user.id) if user else User.filter(id__in=[])
        return await visible_nodes(own, node_ids, cls.from_model, required)

    @strawberry.field(
        description="Your active payment methods, the default first, then the newest; empty on anyone but yourself "
        "and for staff. Add with `addBankAccount` / `addDebitCard`."
    )
    async def payment_methods(self, info: Info) -> list[PaymentMethodType]:
        if _own(self, info) is None:
            return []
        return await payment_methods_of_viewer(info)

    @strawberry.field(
        description="Your in-portal notifications, newest first (only unread ones with `unreadOnly: true`); empty "
        f"on anyone but yourself. Mark them read with `markNotificationsRead`. {PAGE_ARGS_DESCRIPTION}"
    )
    async def notifications(
        self, info: Info, unread_only: bool | None = False, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> NotificationConnection:
        viewer = _own(self, info)
        return await paginate(NotificationConnection, notifications_of(viewer, unread_only=bool(unread_only)),
                              NOTIFICATION_ORDER, NotificationType.from_model, first=first, after=after, last=last,
                              before=before)

    @strawberry.field(description="How many of your notifications are unread (0 on anyone but yourself).")
    async def unread_notification_count(self, info: Info) -> int:
        return await unread_count(_own(self, info))

    @strawberry.field(description=VIEWER_MESSAGES_DESCRIPTION)
    async def messages(
        self, info: Info, filter: MessageThreadFilter | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> MessageThreadConnection:
        return await viewer_threads(info, _own(self, info), filter, first=first, after=after, last=last,
                                    before=before)
