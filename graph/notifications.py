"""In-portal notifications (the bell) in the schema: the `Notification` node, the viewer's
connection of them and `markNotificationsRead`. Thin: the rules live in
resolvers/notifications_queries.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import SIGNED_IN
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.nodes import visible_nodes
from graph.pagination import CountedConnection, Ordering
from models import Notification
from models import enums as model_enums
from resolvers import notifications_queries as rules

if TYPE_CHECKING:
    from graph.payments.types import PaymentType

NOTIFICATION_ORDER = Ordering((("created_at", True), ("id", True)))

NotificationCategoryEnum = strawberry.enum(
    model_enums.NotificationCategory, name="NotificationCategory",
    description="What a notification is about. PAYMENT_CONFIRMATIONS, PAYMENT_REMINDERS, STATEMENTS_READY and "
    "COVERAGE_EXPIRING (a warranty or service plan about to end) follow your communication preferences; "
    "SECURITY_ALERTS, PAYMENT_PROBLEMS, PLAN_CHANGES (due-date changes and deferrals), NEW_CONTRACTS (a contract "
    "booked to you), SECURE_MESSAGES (a reply from support) and ACCOUNT_CORRECTIONS (a correction support posted "
    "to your account) are always sent.",
)


@strawberry.type(name="Notification", description="A message in your portal inbox (the bell). Only yours are visible.")
class NotificationType(relay.Node):
    id: relay.NodeID[int]
    category: NotificationCategoryEnum = strawberry.field(  # type: ignore[valid-type]
        description="What it is about."
    )
    title: str = strawberry.field(description="One-line summary.")
    body: str = strawberry.field(description="The message.")
    created_at: datetime = strawberry.field(description="When it was posted (UTC).")
    read_at: datetime | None = strawberry.field(description="When you marked it read (UTC); null while unread.")
    payment_db_id: strawberry.Private[int | None]

    @strawberry.field(description="True once you marked it read (`markNotificationsRead`).")
    def read(self) -> bool:
        return self.read_at is not None

    @strawberry.field(description="The payment it is about; null when it is not about a payment.")
    async def payment(
        self, info: Info
    ) -> Annotated[PaymentType, strawberry.lazy("graph.payments.types")] | None:
        if self.payment_db_id is None:
            return None
        # Imported late (the payments schema loads after this module); through the payments' own
        # visibility rules, like node(id:).
        from graph.payments.types import PaymentType

        return (await PaymentType.resolve_nodes(info=info, node_ids=[str(self.payment_db_id)]))[0]

    @classmethod
    def from_model(cls, row: Notification) -> NotificationType:
        return cls(id=row.id, category=row.category, title=row.title, body=row.body, created_at=row.created_at,
                   read_at=row.read_at, payment_db_id=row.payment_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.notifications_of(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="NotificationConnection", description="A page of your notifications, newest first.")
class NotificationConnection(CountedConnection[NotificationType]):
    pass


def notification_id(raw: str) -> int | None:
    """The row id of a `Notification` global id, or None for anything else."""
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:  # noqa: BLE001 - a malformed id is simply not one of your notifications
        return None
    if gid.type_name != NotificationType.__strawberry_definition__.name or not gid.node_id.isdigit():
        return None
    return int(gid.node_id)


@strawberry.input(description="Which notifications to mark read: give `notificationIds` or `all: true`.")
class MarkNotificationsReadInput:
    notification_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Ids of your notifications (at most {rules.MAX_IDS}). An id that is not one of "
        "yours answers NOT_FOUND and nothing is marked."
    )
    all: bool | None = strawberry.field(default=False, description="Mark every notification of yours read.")


@strawberry.type(description="Result of markNotificationsRead.")
class MarkNotificationsReadPayload:
    marked_count: int = strawberry.field(description="How many unread notifications became read.")
    unread_notification_count: int = strawberry.field(description="Your unread notifications after the change.")
    errors: list[UserError] = strawberry.field(
        description="INVALID for a bad combination, NOT_FOUND for an id that is not yours; empty on success."
    )


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Mark some (`notificationIds`) or all (`all: true`) of your notifications read. Already-read "
        "ones stay read.",
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        ctx = info.context
        ids = None if input.notification_ids is None else [notification_id(i) for i in input.notification_ids]
        outcome = await rules.mark_read(ctx.services, user=ctx.user, ids=ids, everything=bool(input.all))
        return MarkNotificationsReadPayload(marked_count=outcome.marked,
                                            unread_notification_count=await rules.unread_count(ctx.user),
                                            errors=user_errors(list(outcome.problems)))
