"""API credentials a dealership's administrator creates for its DMS: create (the secret is returned
this once and only its hash is kept), revoke, and what a caller may see. Dealer administrators of
the dealership only; every change is audited (key id, name and scopes, never the secret).

A credential belongs to the dealership, not to the administrator who made it: it keeps working when
that person leaves, until an administrator revokes it. Revoking is final (make a new one to resume).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.api_credentials import new_key_id, new_secret, scope_values, secret_hash
from auth.audit import Origin
from models import ApiCredential, Dealership, User
from models.enums import ApiScope, Role
from resolvers.errors import ErrorCode, Problem
from service.container import Services

MAX_NAME = 100
MAX_ACTIVE_CREDENTIALS = 10  # per dealership
NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No active API credential of your dealership has that id.",
                    ("credentialId",))


@dataclass(frozen=True)
class CredentialOutcome:
    """A credential, with its secret when it was just made; or the problems."""

    credential: ApiCredential | None = None
    secret: str | None = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def fail(cls, *problems: Problem) -> CredentialOutcome:
        return cls(problems=problems)


def _is_admin(user: User | None) -> bool:
    return (user is not None and user.is_active and user.role == Role.DEALER_ADMIN
            and user.dealership_id is not None)


def credentials_visible_to(user: User | None) -> QuerySet[ApiCredential]:
    """Dealer administrators: their dealership's credentials (revoked ones too). Everyone else: none."""
    if not _is_admin(user):
        return ApiCredential.filter(id__in=[])
    return ApiCredential.filter(dealership_id=user.dealership_id)


def _admin_problem(user: User) -> Problem | None:
    if not _is_admin(user):
        return Problem(ErrorCode.FORBIDDEN, "Only a dealership administrator manages API credentials.")
    return None


def _input_problems(name: str, scopes: Iterable[ApiScope]) -> list[Problem]:
    found = []
    if not name.strip() or len(name.strip()) > MAX_NAME:
        found.append(Problem(ErrorCode.INVALID, f"Name the credential (at most {MAX_NAME} characters), e.g. the "
                             "DMS it is for.", ("name",)))
    if not list(scopes):
        found.append(Problem(ErrorCode.INVALID, "Give at least one scope.", ("scopes",)))
    return found


def _audit_details(credential: ApiCredential) -> dict:
    return {"api_credential_id": credential.id, "key_id": credential.key_id, "name": credential.name,
            "scopes": list(credential.scopes), "dealership_id": credential.dealership_id}


async def create_credential(services: Services, *, user: User, origin: Origin, name: str,
                            scopes: list[ApiScope]) -> CredentialOutcome:
    problem = _admin_problem(user)
    problems = [problem] if problem else _input_problems(name, scopes)
    if problems:
        return CredentialOutcome.fail(*problems)
    secret = new_secret()
    async with in_transaction() as connection:
        # The dealership row serializes creations, so the limit holds with concurrent requests.
        await Dealership.filter(id=user.dealership_id).select_for_update().using_db(connection).first()
        active = await ApiCredential.filter(dealership_id=user.dealership_id, revoked_at=None) \
            .using_db(connection).count()
        if active >= MAX_ACTIVE_CREDENTIALS:
            return CredentialOutcome.fail(Problem(
                ErrorCode.CONFLICT, f"A dealership may have at most {MAX_ACTIVE_CREDENTIALS} active API credentials; "
                "revoke one first.", ("name",)))
        credential = await ApiCredential.create(
            using_db=connection, dealership_id=user.dealership_id, name=name.strip(), key_id=new_key_id(),
            secret_hash=secret_hash(secret), scopes=scope_values(scopes), created_by=user,
            created_at=services.clock.now())
        await audit.record("api_credential.created", clock=services.clock, origin=origin, actor=user,
                           details=_audit_details(credential), using_db=connection)
    return CredentialOutcome(credential=credential, secret=secret)


async def revoke_credential(services: Services, *, user: User, origin: Origin,
                            credential_id: int | None) -> CredentialOutcome:
    """Refused from the next request on. Revoking one already revoked is NOT_FOUND, as for one that is
    not your dealership's."""
    problem = _admin_problem(user)
    if problem:
        return CredentialOutcome.fail(problem)
    if credential_id is None:
        return CredentialOutcome.fail(NOT_FOUND)
    now = services.clock.now()
    async with in_transaction() as connection:
        credential = await credentials_visible_to(user).filter(id=credential_id, revoked_at=None) \
            .select_for_update().using_db(connection).first()
        if credential is None:
            return CredentialOutcome.fail(NOT_FOUND)
        credential.revoked_at, credential.revoked_by_id = now, user.id
        await credential.save(using_db=connection, update_fields=["revoked_at", "revoked_by_id"])
        await audit.record("api_credential.revoked", clock=services.clock, origin=origin, actor=user,
                           details=_audit_details(credential), using_db=connection)
    return CredentialOutcome(credential=credential)
