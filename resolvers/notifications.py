"""Telling a customer about an event: an in-portal notification and, with a template, an email,
both in the caller's transaction. Categories with a preference switch are skipped when the user
turned them off; problems (failed or returned payments) and security alerts always go out."""

from __future__ import annotations

from typing import Any

from mail import notify as mail
from models import Notification, Payment, User
from models.enums import NotificationCategory
from resolvers.identity.preferences import Category, wants
from resolvers.live.publish import NOTIFICATION, publish
from service.container import Services

PREFERENCE_FOR: dict[NotificationCategory, Category | None] = {
    NotificationCategory.PAYMENT_CONFIRMATIONS: Category.PAYMENT_CONFIRMATIONS,
    NotificationCategory.PAYMENT_REMINDERS: Category.PAYMENT_REMINDERS,
    NotificationCategory.STATEMENTS_READY: Category.STATEMENTS_READY,
    NotificationCategory.SECURITY_ALERTS: None,
    NotificationCategory.PAYMENT_PROBLEMS: None,
    NotificationCategory.PLAN_CHANGES: None,
    NotificationCategory.NEW_CONTRACTS: None,
    NotificationCategory.SECURE_MESSAGES: None,  # a reply from support (the email has no content): always sent
    NotificationCategory.ACCOUNT_CORRECTIONS: None,  # a ledger correction posted by support: always sent
    NotificationCategory.COVERAGE_EXPIRING: Category.COVERAGE_REMINDERS,  # resolvers/coverage/notices.py
}


async def notify(
    services: Services,
    *,
    user: User,
    category: NotificationCategory,
    title: str,
    body: str,
    email_template: str | None = None,
    email_context: dict[str, Any] | None = None,
    payment: Payment | None = None,
    required: bool = False,
    using_db=None,
) -> bool:
    """Notify `user` unless their preferences say no; return whether anything was sent.

    `required` marks a notice the law requires (e.g. the autopay reminder, Regulation E's notice
    of a varying preauthorized amount): it goes out whatever the preference says."""
    preference = PREFERENCE_FOR[category]
    if not required and preference is not None and not await wants(user.id, preference):
        return False
    notification = await Notification.create(user=user, category=category, title=title[:128], body=body[:500],
                                             payment=payment, created_at=services.clock.now(), using_db=using_db)
    # Live subscribers hear of it when (and only if) the transaction commits.
    await publish(user.id, NOTIFICATION, {"notification": notification.id}, clock=services.clock,
                  using_db=using_db or Notification._meta.db)
    if email_template is not None:
        await mail.send(services, email_template, user.email, {"title": title, "body": body, **(email_context or {})},
                        using_db=using_db)
    return True
