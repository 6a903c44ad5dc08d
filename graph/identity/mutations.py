"""Sign in and sign out."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import EVERYONE, SIGNED_IN
from auth.sessions import csrf_token
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.identity.types import UserType
from models.enums import SessionKind
from resolvers.identity import login as login_rules


@strawberry.input(description="Credentials for signing in.")
class LoginInput:
    username: str = strawberry.field(description="Your user ID.")
    password: str = strawberry.field(description="Your password (never logged or stored in clear).")
    mode: enums.SessionMode = strawberry.field(  # type: ignore[valid-type]
        default=SessionKind.COOKIE,
        description="COOKIE for browsers (sets an httpOnly session cookie), BEARER for tools (returns a token).",
    )


@strawberry.type(description="Result of login: the session (cookie or token) or the reasons it failed.")
class LoginPayload:
    viewer: UserType | None = strawberry.field(description="The signed-in user, when sign-in succeeded.")
    token: str | None = strawberry.field(
        description="BEARER mode only: send it as `Authorization: Bearer <token>`. Shown once; keep it secret."
    )
    csrf_token: str | None = strawberry.field(
        description="COOKIE mode only: send it back in the `X-CSRF-Token` header on every request."
    )
    errors: list[UserError] = strawberry.field(description="Why sign-in failed; empty on success.")


@strawberry.input(description="Nothing to give: signs out the session making the request.")
class LogoutInput:
    client_mutation_id: str | None = strawberry.field(default=None, description="Echo value for the client's own bookkeeping.")


@strawberry.type(description="Result of logout.")
class LogoutPayload:
    signed_out: bool = strawberry.field(description="True when the session was ended.")
    errors: list[UserError] = strawberry.field(description="Why sign-out failed; empty on success.")


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(extensions=[allow(EVERYONE)], description="Sign in with user ID and password.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        outcome = await login_rules.login(
            ctx.services, username=input.username, password=input.password, kind=input.mode,
            ip=ctx.client_ip, user_agent=ctx.user_agent,
        )
        if outcome.issued is None:
            return LoginPayload(viewer=None, token=None, csrf_token=None, errors=user_errors(list(outcome.problems)))
        session = outcome.issued.session
        ctx.user = session.user
        if input.mode == SessionKind.BEARER:
            return LoginPayload(viewer=UserType.from_model(session.user), token=outcome.issued.token,
                                csrf_token=None, errors=[])
        csrf = csrf_token(ctx.services.settings, session.token_hash)
        ctx.set_session_cookies(outcome.issued.token, csrf)
        return LoginPayload(viewer=UserType.from_model(session.user), token=None, csrf_token=csrf, errors=[])

    @strawberry.mutation(extensions=[allow(SIGNED_IN)], description="Sign out this session (cookie or bearer).")
    async def logout(self, info: Info, input: LogoutInput | None = None) -> LogoutPayload:
        ctx = info.context
        await login_rules.logout(ctx.services, ctx.session)
        ctx.clear_session_cookies()
        return LogoutPayload(signed_out=True, errors=[])
