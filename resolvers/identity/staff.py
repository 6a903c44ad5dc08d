"""Staff accounts, created by an admin (mutation or `autofin create-staff`).

The account starts with an unusable password (the argon2 hash of 32 random bytes nobody ever
sees), and a single-use, 72-hour set-up link goes to the email given. Following it sets the
password; staff must then enrol MFA at their first sign-in before they can do anything else
(enforced by sign-in, not here).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth import audit, one_time_tokens
from auth.audit import Origin
from auth.usernames import normalize_username
from mail import notify
from models import Dealership, User
from models.enums import DEALER_ROLES, Role, TokenPurpose
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account_inputs import (
    INVALID_LINK,
    Outcome,
    clean_email,
    email_problem,
    link_user,
    username_problem,
    username_taken,
    weak_password,
)
from service.container import Services

SETUP_TTL = timedelta(hours=72)
SETUP_DONE = (
    "Your password is set. Sign in with your user ID and password; you will then set up two-step "
    "verification (MFA), which staff accounts need before anything else."
)


async def create_staff_user(
    services: Services, *, actor: User | None, username: str, email: str, role: Role, dealership_id: int | None,
    dealership_given: bool, origin: Origin,
) -> Outcome:
    """Create a staff login and mail its set-up link. `actor` is the admin (None from the CLI).
    `dealership_given` tells a dealership id that did not parse (dealership_id None) from none given.
    Outcome.value is the new User."""
    problems = [p for p in (username_problem(username), email_problem(email)) if p]
    if role == Role.CUSTOMER:
        problems.append(Problem(ErrorCode.INVALID, "Customers register themselves; choose a staff role.", ("role",)))
    elif role in DEALER_ROLES and not dealership_given:
        problems.append(Problem(ErrorCode.INVALID, "Dealer users belong to a dealership: give one.", ("dealershipId",)))
    elif role not in DEALER_ROLES and dealership_given:
        problems.append(Problem(ErrorCode.INVALID, "Only dealer roles belong to a dealership.", ("dealershipId",)))
    if problems:
        return Outcome.fail(*problems)
    dealership = None
    if role in DEALER_ROLES:
        dealership = await Dealership.get_or_none(id=dealership_id) if dealership_id is not None else None
        if dealership is None:
            return Outcome.fail(Problem(ErrorCode.NOT_FOUND, "No dealership with that id.", ("dealershipId",)))
    taken = await username_taken(username)
    if taken:
        return Outcome.fail(taken)

    unusable_hash = await services.passwords.hash(secrets.token_urlsafe(32))
    clock = services.clock
    address = clean_email(email)
    try:
        async with in_transaction() as connection:
            user = await User.create(
                username=normalize_username(username), email=address, password_hash=unusable_hash, role=role,
                dealership=dealership, is_active=True, using_db=connection,
            )
            token = await one_time_tokens.issue(TokenPurpose.STAFF_SETUP, clock=clock, ttl=SETUP_TTL, user=user,
                                                using_db=connection)
            await notify.send(services, "staff_setup", address, {
                "username": user.username,
                "role": role.value.replace("_", " ").title(),
                "dealership": dealership.name if dealership else "",
                "link": notify.portal_link(services, "staff-setup", token=token),
                "hours": int(SETUP_TTL.total_seconds() // 3600),
            }, using_db=connection)
            await audit.record("staff.created", clock=clock, origin=origin, actor=actor, subject=user,
                               details={"role": role.value, "dealership_id": dealership.id if dealership else None,
                                        "via": "api" if actor else "cli"}, using_db=connection)
    except IntegrityError:  # the user ID was taken between the check and the insert
        return Outcome.fail(Problem(ErrorCode.CONFLICT, "This user ID is taken. Choose another one.", ("username",)))
    return Outcome(value=user)


async def complete_staff_setup(services: Services, *, token: str, password: str, origin: Origin) -> Outcome:
    """Set the first password from the set-up link. Outcome.value is the message."""
    clock = services.clock
    user = await link_user(TokenPurpose.STAFF_SETUP, token, clock=clock)
    if user is None:
        return Outcome.fail(INVALID_LINK)
    weak = weak_password(password, [user.username, user.email])
    if weak:
        return Outcome.fail(weak)
    password_hash = await services.passwords.hash(password)
    async with in_transaction() as connection:
        if await one_time_tokens.consume(TokenPurpose.STAFF_SETUP, token, clock=clock, using_db=connection) is None:
            return Outcome.fail(INVALID_LINK)
        now = clock.now()
        # The link reached the address, so it is verified.
        await User.filter(id=user.id).using_db(connection).update(
            password_hash=password_hash, password_changed_at=now, email_verified_at=now)
        await one_time_tokens.revoke_unused(TokenPurpose.STAFF_SETUP, clock=clock, user=user, using_db=connection)
        await audit.record("staff.setup_completed", clock=clock, origin=origin, actor=user, subject=user,
                           using_db=connection)
    return Outcome(value=SETUP_DONE)
