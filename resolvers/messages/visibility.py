"""Who sees which secure-message rows. Every read goes through these querysets.

A thread belongs to a customer record: every active CUSTOMER user whose customer is that record
sees it (a customer may have more than one login). Active SUPPORT and SUPPORT_LEAD users see every
thread. Nobody else sees any. Messages and attachments are visible exactly when their thread is."""

from __future__ import annotations

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from models import MessageAttachment, MessageThread, SecureMessage, User
from models.enums import Role

SUPPORT_ROLES = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})


def is_support(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in SUPPORT_ROLES


def is_thread_customer(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == Role.CUSTOMER and user.customer_id is not None


def threads_visible_to(user: User | None) -> QuerySet[MessageThread]:
    if is_support(user):
        return MessageThread.all()
    if is_thread_customer(user):
        return MessageThread.filter(customer_id=user.customer_id)
    return MessageThread.filter(id__in=[])


def messages_visible_to(user: User | None) -> QuerySet[SecureMessage]:
    if is_support(user):
        return SecureMessage.all()
    if is_thread_customer(user):
        return SecureMessage.filter(thread__customer_id=user.customer_id)
    return SecureMessage.filter(id__in=[])


def attachments_visible_to(user: User | None) -> QuerySet[MessageAttachment]:
    if is_support(user):
        return MessageAttachment.all()
    if is_thread_customer(user):
        return MessageAttachment.filter(message_id__in=Subquery(messages_visible_to(user).values("id")))
    return MessageAttachment.filter(id__in=[])


async def customer_logins(customer_ids: list[int], using_db=None) -> dict[int, list[User]]:
    """The active CUSTOMER users of each customer record (who hear about support's replies)."""
    found: dict[int, list[User]] = {customer_id: [] for customer_id in customer_ids}
    if not customer_ids:
        return found
    rows = await User.filter(customer_id__in=customer_ids, role=Role.CUSTOMER, is_active=True) \
        .using_db(using_db).order_by("id")
    for row in rows:
        found[row.customer_id].append(row)
    return found
