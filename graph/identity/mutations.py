"""Sign in (password, then a TOTP or recovery code when MFA is on), the sign-in challenge, and sign out."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth import challenge as pow_challenge
from auth.permissions import EVERYONE, SIGNED_IN_OR_ENROLLING
from auth.sessions import csrf_token
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.identity.types import UserType
from models.enums import SessionKind, SessionScope
from resolvers.identity import login as login_rules

LoginNextStep = strawberry.enum(
    login_rules.NextStep,
    name="LoginNextStep",
    description=(
        "What to do after a sign-in call without errors. DONE: signed in (`viewer` is set). "
        "MFA_REQUIRED: the password was right but no session exists yet; call `completeMfaLogin` with "
        "`mfaChallengeToken` and a code. MFA_ENROLMENT_REQUIRED: a staff account without MFA; the session "
        "returned may only enrol (`beginMfaEnrolment`, `confirmMfaEnrolment`) or sign out."
    ),
)


@strawberry.type(description=(
    "A proof-of-work challenge (ALTCHA-compatible), required with `login` after repeated failures. Find the "
    "whole number `n` in 0..maxNumber for which hex(SHA-256(salt + n)) equals `challenge` (decimal digits "
    "appended to the salt), then send salt, challenge, signature and n as `LoginInput.challenge`. It expires "
    "(the salt says when) and works once."
))
class LoginChallenge:
    algorithm: str = strawberry.field(description="Hash algorithm: always SHA-256.")
    challenge: str = strawberry.field(description="Hex SHA-256 of salt + the number to find.")
    salt: str = strawberry.field(description="Prefix to hash; ends with `?expires=<unix time>`.")
    signature: str = strawberry.field(description="Server signature of `challenge`; send it back unchanged.")
    max_number: int = strawberry.field(description="Largest number to try (the difficulty).")


def login_challenge(info: Info) -> LoginChallenge:
    """Resolver of `Query.loginChallenge` (stateless: nothing is stored until it is used)."""
    services = info.context.services
    made = pow_challenge.create(services.settings.secret_key, services.clock, services.settings.challenge_max_number)
    return LoginChallenge(algorithm=made.algorithm, challenge=made.challenge, salt=made.salt,
                          signature=made.signature, max_number=made.max_number)


@strawberry.input(description="A solved `loginChallenge`: its fields as received, plus the number found.")
class ChallengeSolutionInput:
    salt: str = strawberry.field(description="`salt` of the challenge.")
    challenge: str = strawberry.field(description="`challenge` of the challenge.")
    signature: str = strawberry.field(description="`signature` of the challenge.")
    number: int = strawberry.field(description="The number found: hex(SHA-256(salt + number)) == challenge.")


@strawberry.input(description="Credentials for signing in.")
class LoginInput:
    username: str = strawberry.field(description="Your user ID.")
    password: str = strawberry.field(description="Your password (never logged or stored in clear).")
    mode: enums.SessionMode = strawberry.field(  # type: ignore[valid-type]
        default=SessionKind.COOKIE,
        description="COOKIE for browsers (sets an httpOnly session cookie), BEARER for tools (returns a token).",
    )
    challenge: ChallengeSolutionInput | None = strawberry.field(
        default=None,
        description="A solved `loginChallenge`. Needed after 3 failed attempts for this user ID or from your "
        "network (the answer is then CHALLENGE_REQUIRED); ignored otherwise. Each solution works once.",
    )


@strawberry.input(description="Second step of a sign-in with MFA: the token from `login` and one code.")
class CompleteMfaLoginInput:
    challenge_token: str = strawberry.field(description="`mfaChallengeToken` from `login` (5 minutes, single use).")
    code: str | None = strawberry.field(default=None, description="The 6-digit code from your authenticator app.")
    recovery_code: str | None = strawberry.field(
        default=None, description="Instead of `code`: one of your unused recovery codes (each works once)."
    )
    mode: enums.SessionMode | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="COOKIE or BEARER, as for `login`; defaults to the mode given to `login`."
    )


@strawberry.type(description=(
    "Result of `login` or `completeMfaLogin`. Check `errors` first (non-empty: nothing was signed in), then "
    "`nextStep`."
))
class LoginPayload:
    next_step: LoginNextStep | None = strawberry.field(  # type: ignore[valid-type]
        description="What to do next; null when `errors` is not empty. A correct password with MFA on is "
        "not an error: it answers MFA_REQUIRED with `mfaChallengeToken` and no session."
    )
    viewer: UserType | None = strawberry.field(description="The signed-in user, when `nextStep` is DONE.")
    token: str | None = strawberry.field(
        description="BEARER mode, when a session was opened (DONE or MFA_ENROLMENT_REQUIRED): send it as "
        "`Authorization: Bearer <token>`. Shown once; keep it secret."
    )
    csrf_token: str | None = strawberry.field(
        description="COOKIE mode, when a session was opened: send it back in the `X-CSRF-Token` header on every "
        "request."
    )
    mfa_challenge_token: str | None = strawberry.field(
        description="With nextStep MFA_REQUIRED (and after a wrong code, to retry): the single-use token for "
        "`completeMfaLogin`, valid 5 minutes."
    )
    errors: list[UserError] = strawberry.field(
        description="Why sign-in failed: INVALID_CREDENTIALS, CHALLENGE_REQUIRED, LOCKED, INVALID_CODE, "
        "INVALID_TOKEN or INVALID; empty otherwise."
    )


@strawberry.input(description="Nothing to give: signs out the session making the request.")
class LogoutInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Echo value for the client's own bookkeeping."
    )


@strawberry.type(description="Result of logout.")
class LogoutPayload:
    signed_out: bool = strawberry.field(description="True when the session was ended.")
    errors: list[UserError] = strawberry.field(description="Why sign-out failed; empty on success.")


def signed_in_payload(info: Info, outcome: login_rules.LoginOutcome, mode: SessionKind) -> LoginPayload:
    """The payload for a sign-in outcome: errors, the MFA step, or the new session delivered as a
    cookie (with its CSRF token) or a bearer token. The context takes the new session's user, so
    the rest of this request sees the caller as signed in."""
    ctx = info.context
    if outcome.issued is None:
        return LoginPayload(next_step=outcome.next_step, viewer=None, token=None, csrf_token=None,
                            mfa_challenge_token=outcome.mfa_challenge_token, errors=user_errors(list(outcome.problems)))
    session = outcome.issued.session
    ctx.session = session
    full = session.scope == SessionScope.FULL
    ctx.user, ctx.enrolling_user = (session.user, None) if full else (None, session.user)
    viewer = UserType.from_model(session.user) if full else None
    if mode == SessionKind.BEARER:
        return LoginPayload(next_step=outcome.next_step, viewer=viewer, token=outcome.issued.token, csrf_token=None,
                            mfa_challenge_token=None, errors=[])
    csrf = csrf_token(ctx.services.settings, session.token_hash)
    ctx.set_session_cookies(outcome.issued.token, csrf)
    return LoginPayload(next_step=outcome.next_step, viewer=viewer, token=None, csrf_token=csrf,
                        mfa_challenge_token=None, errors=[])


def _solution(value: ChallengeSolutionInput | None) -> pow_challenge.Solution | None:
    if value is None:
        return None
    return pow_challenge.Solution(salt=value.salt, challenge=value.challenge, signature=value.signature,
                                  number=value.number)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Sign in with user ID and password. Attempts count per user ID and per network, aliases "
        "included: after 3 failures a solved `loginChallenge` is required, the 10th failure in a row locks the "
        "user ID for 24 hours.",
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        outcome = await login_rules.login(
            ctx.services, username=input.username, password=input.password, kind=input.mode, origin=ctx.origin,
            solution=_solution(input.challenge),
        )
        return signed_in_payload(info, outcome, input.mode)

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Finish a sign-in that answered MFA_REQUIRED, with a TOTP code or a recovery code. Wrong "
        "codes count as failed sign-ins (same lockout).",
    )
    async def complete_mfa_login(self, info: Info, input: CompleteMfaLoginInput) -> LoginPayload:
        ctx = info.context
        outcome = await login_rules.complete_mfa_login(
            ctx.services, challenge_token=input.challenge_token, code=input.code, recovery_code=input.recovery_code,
            kind=input.mode, origin=ctx.origin,
        )
        mode = outcome.issued.session.kind if outcome.issued else SessionKind.COOKIE
        return signed_in_payload(info, outcome, mode)

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN_OR_ENROLLING)], description="Sign out this session (cookie or bearer)."
    )
    async def logout(self, info: Info, input: LogoutInput | None = None) -> LogoutPayload:
        ctx = info.context
        await login_rules.logout(ctx.services, ctx.session, ctx.origin)
        ctx.clear_session_cookies()
        return LogoutPayload(signed_out=True, errors=[])
