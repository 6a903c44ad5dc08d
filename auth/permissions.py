"""Who may call what: the role rules, free of GraphQL so resolvers and jobs share them."""

from __future__ import annotations

from collections.abc import Iterable

from models import User
from models.enums import Role


class Audience:
    """A declared set of callers: roles, optionally also anonymous callers, and optionally staff
    whose session only allows MFA enrolment (they must enrol before anything else)."""

    def __init__(self, roles: Iterable[Role], *, anonymous: bool = False, enrolling: bool = False) -> None:
        self.roles = frozenset(roles)
        self.anonymous = anonymous
        self.enrolling = enrolling

    def admits(self, user: User | None) -> bool:
        if user is None:
            return self.anonymous
        return user.is_active and user.role in self.roles

    def admits_enrolling(self, user: User | None) -> bool:
        return self.enrolling and user is not None and user.is_active and user.role in self.roles

    def describe(self) -> str:
        names = sorted(role.value for role in self.roles)
        return ", ".join((["anonymous"] if self.anonymous else []) + names) or "nobody"


EVERYONE = Audience(Role, anonymous=True)
SIGNED_IN = Audience(Role)
# Signed in, or signed in with a session that may only enrol MFA.
SIGNED_IN_OR_ENROLLING = Audience(Role, enrolling=True)
ADMINS = Audience({Role.ADMIN})
CUSTOMERS = Audience({Role.CUSTOMER})
DEALERS = Audience({Role.DEALER_USER, Role.DEALER_ADMIN})
SUPPORT_STAFF = Audience({Role.SUPPORT, Role.SUPPORT_LEAD})
DEALER_ADMINS = Audience({Role.DEALER_ADMIN})
UNDERWRITERS = Audience({Role.UNDERWRITER})
