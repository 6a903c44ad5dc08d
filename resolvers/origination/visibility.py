"""Which applications a caller may see. Every path to an application (desk, node, queue) starts
here, so a row outside these querysets answers exactly like a row that does not exist."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from models import CreditApplication, User
from models.enums import DEALER_ROLES, ApplicationStatus, Role


def applications_visible_to(user: User | None) -> QuerySet[CreditApplication]:
    """Dealers: their dealership's applications. Underwriters: every application once submitted
    (drafts are the dealer's working copy). Everyone else: none."""
    if user is None or not user.is_active:
        return CreditApplication.filter(id__in=[])
    if user.role in DEALER_ROLES and user.dealership_id is not None:
        return CreditApplication.filter(dealership_id=user.dealership_id)
    if user.role == Role.UNDERWRITER:
        return CreditApplication.exclude(status=ApplicationStatus.DRAFT)
    return CreditApplication.filter(id__in=[])
