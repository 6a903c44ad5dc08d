"""Who may call what: the role rules, free of GraphQL so resolvers and jobs share them."""

from __future__ import annotations

from collections.abc import Iterable

from models import User
from models.enums import Role


class Audience:
    """A declared set of callers: roles, optionally also anonymous callers."""

    def __init__(self, roles: Iterable[Role], *, anonymous: bool = False) -> None:
        self.roles = frozenset(roles)
        self.anonymous = anonymous

    def admits(self, user: User | None) -> bool:
        if user is None:
            return self.anonymous
        return user.is_active and user.role in self.roles

    def describe(self) -> str:
        names = sorted(role.value for role in self.roles)
        return ", ".join((["anonymous"] if self.anonymous else []) + names) or "nobody"


EVERYONE = Audience(Role, anonymous=True)
SIGNED_IN = Audience(Role)
CUSTOMERS = Audience({Role.CUSTOMER})
DEALERS = Audience({Role.DEALER_USER, Role.DEALER_ADMIN})
