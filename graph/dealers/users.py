"""A dealer administrator's management of the dealership's logins in the schema. Thin: the rules
are in resolvers/origination/dealer_users.py."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import DEALER_ADMINS
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.pagination import PAGE_ARGS_DESCRIPTION, CountedConnection, Ordering, paginate
from models import User
from resolvers.origination import dealer_users as rules

BY_USERNAME = Ordering((("username", False), ("id", False)))


@strawberry.type(name="DealershipUser", description="A login of your dealership, as its administrator sees it.")
class DealershipUserType:
    user_id: strawberry.ID = strawberry.field(description="The user's global id (pass it to deactivate or "
                                              "reactivate).")
    username: str = strawberry.field(description="The user ID used to sign in.")
    email: str = strawberry.field(description="Work email (where the set-up link went).")
    role: enums.Role = strawberry.field(description="DEALER_USER or DEALER_ADMIN.")  # type: ignore[valid-type]
    active: bool = strawberry.field(description="False once deactivated: the user cannot sign in.")
    set_up: bool = strawberry.field(description="Whether the user has set a password through the emailed link.")
    mfa_enabled: bool = strawberry.field(description="Whether two-step verification is on (required to work).")
    created_at: datetime = strawberry.field(description="When the login was created.")

    @classmethod
    def from_model(cls, row: User) -> DealershipUserType:
        return cls(user_id=strawberry.ID(str(relay.GlobalID("User", str(row.id)))), username=row.username,
                   email=row.email, role=row.role, active=row.is_active, set_up=row.password_changed_at is not None,
                   mfa_enabled=row.mfa_enabled_at is not None, created_at=row.created_at)


@strawberry.type(name="DealershipUserConnection", description="A page of your dealership's logins.")
class DealershipUserConnection(CountedConnection[DealershipUserType]):
    pass


@strawberry.input(description="Add a dealer user to your dealership. They get an emailed set-up link.")
class AddDealershipUserInput:
    username: str = strawberry.field(description="Their user ID: 3 to 64 letters, digits, dots, dashes or "
                                     "underscores (case-insensitive).")
    email: str = strawberry.field(description="Their work email: the set-up link (single use, 72 hours) goes there.")


@strawberry.input(description="A user of your dealership.")
class DealershipUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user's global id (`DealershipUser.userId`).")


@strawberry.type(description="Result of a change to a dealership's login.")
class DealershipUserPayload:
    user: DealershipUserType | None = strawberry.field(description="The login as it is now; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID user ID or email; CONFLICT for a taken user ID; NOT_FOUND for a user who is not your "
        "dealership's; FORBIDDEN to change your own login. Empty on success."
    )


def _payload(outcome: rules.DealerUserOutcome) -> DealershipUserPayload:
    return DealershipUserPayload(user=DealershipUserType.from_model(outcome.user) if outcome.user else None,
                                 errors=user_errors(list(outcome.problems)))


@strawberry.type
class DealershipUserQuery:
    @strawberry.field(
        extensions=[allow(DEALER_ADMINS)],
        description=f"Your dealership's logins by user ID (only active or only deactivated ones with `active`). "
        f"Dealer administrators only. {PAGE_ARGS_DESCRIPTION}",
    )
    async def dealership_users(
        self, info: Info, active: bool | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> DealershipUserConnection:
        return await paginate(DealershipUserConnection, rules.users_of_dealership(info.context.user, active=active),
                              BY_USERNAME, DealershipUserType.from_model, first=first, after=after, last=last,
                              before=before)


@strawberry.type
class DealershipUserMutations:
    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Add a DEALER_USER to your dealership: they get a single-use set-up link (72 hours) by email "
        "and must enrol two-step verification at their first sign-in. Audited.",
    )
    async def add_dealership_user(self, info: Info, input: AddDealershipUserInput) -> DealershipUserPayload:
        ctx = info.context
        return _payload(await rules.add_dealer_user(ctx.services, admin=ctx.user, origin=ctx.origin,
                                                    username=input.username, email=input.email))

    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Deactivate a login of your dealership (not your own): it can no longer sign in and every "
        "device it is signed in on is signed out. Audited.",
    )
    async def deactivate_dealership_user(self, info: Info, input: DealershipUserInput) -> DealershipUserPayload:
        ctx = info.context
        return _payload(await rules.set_active(ctx.services, admin=ctx.user, origin=ctx.origin,
                                               user_id=row_id(str(input.user_id), "User"), active=False))

    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Reactivate a deactivated login of your dealership (not your own). Audited.",
    )
    async def reactivate_dealership_user(self, info: Info, input: DealershipUserInput) -> DealershipUserPayload:
        ctx = info.context
        return _payload(await rules.set_active(ctx.services, admin=ctx.user, origin=ctx.origin,
                                               user_id=row_id(str(input.user_id), "User"), active=True))
