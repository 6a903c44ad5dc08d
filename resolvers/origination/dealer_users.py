"""A dealer administrator manages the dealership's own logins: lists them, adds a DEALER_USER (the
staff set-up flow of resolvers/identity/staff.py: an emailed single-use link, MFA at first sign-in),
deactivates and reactivates them.

Only users of the administrator's own dealership are reachable (another dealership's, or anyone
else, answers NOT_FOUND as if missing), and an administrator cannot deactivate themself (the
dealership could lose its last administrator that way). Deactivation signs the user out of every
device at once (sign-in and every session already refuse an inactive user). Audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from models import Session, User
from models.enums import DEALER_ROLES, Role
from resolvers.errors import ErrorCode, Problem
from resolvers.identity import staff
from service.container import Services

USER_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No user of your dealership has that id.", ("userId",))


@dataclass(frozen=True)
class DealerUserOutcome:
    problems: tuple[Problem, ...] = ()
    user: User | None = None


def users_of_dealership(admin: User, *, active: bool | None = None) -> QuerySet[User]:
    """The logins of the administrator's dealership (dealer roles only), optionally by state."""
    if admin.role != Role.DEALER_ADMIN or admin.dealership_id is None:
        return User.filter(id__in=[])
    query = User.filter(dealership_id=admin.dealership_id, role__in=list(DEALER_ROLES))
    return query.filter(is_active=active) if active is not None else query


async def add_dealer_user(services: Services, *, admin: User, origin: Origin, username: str,
                          email: str) -> DealerUserOutcome:
    """A new DEALER_USER of the administrator's dealership, who gets the set-up link by email."""
    outcome = await staff.create_staff_user(services, actor=admin, username=username, email=email,
                                            role=Role.DEALER_USER, dealership_id=admin.dealership_id,
                                            dealership_given=True, origin=origin)
    return DealerUserOutcome(problems=outcome.problems, user=outcome.value)


async def set_active(services: Services, *, admin: User, origin: Origin, user_id: int | None,
                     active: bool) -> DealerUserOutcome:
    """Deactivate (signing out every device) or reactivate a user of the dealership. Already in
    that state: nothing changes, and it is not an error."""
    if user_id is None:
        return DealerUserOutcome(problems=(USER_NOT_FOUND,))
    if user_id == admin.id:
        return DealerUserOutcome(problems=(Problem(ErrorCode.FORBIDDEN, "You cannot deactivate or reactivate your "
                                                   "own login; ask another administrator.", ("userId",)),))
    async with in_transaction() as connection:
        target = await users_of_dealership(admin).filter(id=user_id).using_db(connection).select_for_update().first()
        if target is None:
            return DealerUserOutcome(problems=(USER_NOT_FOUND,))
        if target.is_active == active:
            return DealerUserOutcome(user=target)
        target.is_active = active
        await target.save(update_fields=["is_active"], using_db=connection)
        signed_out = 0
        if not active:
            signed_out = await Session.filter(user_id=target.id, revoked_at=None).using_db(connection) \
                .update(revoked_at=services.clock.now())
        await audit.record("dealer_user.activated" if active else "dealer_user.deactivated", clock=services.clock,
                           origin=origin, actor=admin, subject=target,
                           details={"dealership_id": admin.dealership_id, "sessions_revoked": signed_out},
                           using_db=connection)
    return DealerUserOutcome(user=target)
