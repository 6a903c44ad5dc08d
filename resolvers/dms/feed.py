"""What every DMS push shares: the rate limit per credential, idempotency by the DMS's own id, and
the dealer the DMS acts as.

Idempotency: (dealership, kind, the DMS's id) is unique in dms_references. A push first inserts
that reference (in a savepoint of its transaction), then makes the object through the domain's own
function, then points the reference at it, all in one transaction. A concurrent push of the same id
waits on the unique index until the first commits, then finds the reference and answers with its
object (PostgreSQL; SQLite has one writer). A push whose object is refused (INVALID, NOT_FOUND, ...)
rolls everything back, so the DMS can correct it and send the same id again.
The first content's SHA-256 (canonical JSON) is kept: the same id with other content is a CONFLICT,
never an update.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth import attempts, audit
from auth.audit import Origin
from models import ApiCredential, DmsReference, User
from models.enums import DmsObjectKind, Role
from resolvers.errors import ErrorCode, Problem
from service.container import Services

RATE_LIMIT = 60  # pushes per credential
RATE_WINDOW = timedelta(minutes=1)
MAX_EXTERNAL_ID = 64
ID_FIELDS = {DmsObjectKind.DEAL: "dealId", DmsObjectKind.REPAIR_ORDER: "repairOrderId"}


@dataclass(frozen=True)
class Pushed:
    """The object a push made (created) or found (a resend); or the problems."""

    object_id: int | None = None
    created: bool = False
    problems: tuple[Problem, ...] = ()


class _Refused(Exception):
    """Raised inside the transaction to roll it back when the object is refused."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("push refused")
        self.problems = problems


def acting_dealer(credential: ApiCredential) -> User:
    """The dealer a DMS acts as in the origination and service functions: a dealer user of the
    credential's dealership (never saved) carrying the id of the administrator who issued the
    credential, so `created_by` and the audit actor name the person who authorized the feed."""
    return User(id=credential.created_by_id, role=Role.DEALER_USER, dealership_id=credential.dealership_id,
                is_active=True, username=f"api:{credential.key_id}")


async def rate_problem(services: Services, credential: ApiCredential) -> Problem | None:
    """Counts this push against the credential's limit (in the database, shared by every process)."""
    within = await attempts.within_limit(f"api-credential:{credential.key_id}", clock=services.clock,
                                         limit=RATE_LIMIT, window=RATE_WINDOW)
    if within:
        return None
    return Problem(ErrorCode.RATE_LIMITED, f"At most {RATE_LIMIT} pushes a minute per API credential: wait a "
                   "minute and send again (a resend with the same id is safe).")


def external_id_problem(kind: DmsObjectKind, external_id: str) -> Problem | None:
    value = external_id.strip()
    if not value or len(value) > MAX_EXTERNAL_ID or any(c.isspace() or not c.isprintable() for c in value):
        return Problem(ErrorCode.INVALID, f"Give your system's id (1 to {MAX_EXTERNAL_ID} characters, no spaces).",
                       (ID_FIELDS[kind],))
    return None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 100, 100.0 and 100.00 are the same amount
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def payload_hash(content: Any) -> str:
    canonical = json.dumps(_plain(content), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _answer(reference: DmsReference, fingerprint: str) -> Pushed:
    if reference.payload_hash != fingerprint:
        return Pushed(problems=(Problem(
            ErrorCode.CONFLICT, f"This {ID_FIELDS[reference.kind]} was sent before with other content; a resend "
            "must be identical (changes are made at the dealer desk).", (ID_FIELDS[reference.kind],)),))
    return Pushed(object_id=reference.object_id, created=False)


async def push_once(services: Services, *, credential: ApiCredential, origin: Origin, kind: DmsObjectKind,
                    external_id: str, content: Any,
                    make: Callable[[BaseDBAsyncClient], Awaitable[tuple[int | None, tuple]]]) -> Pushed:
    """Make the object with `make(connection)` (in this transaction; it returns the object's id, or its
    problems) unless this DMS id was pushed before; answer with the object either way."""
    external_id = external_id.strip()
    fingerprint = payload_hash(content)
    key = {"dealership_id": credential.dealership_id, "kind": kind, "external_id": external_id}
    existing = await DmsReference.filter(**key).first()
    if existing is not None:
        return _answer(existing, fingerprint)
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            try:
                async with in_transaction(connection.connection_name) as savepoint:
                    reference = await DmsReference.create(using_db=savepoint, object_id=0, payload_hash=fingerprint,
                                                          created_at=now, **key)
            except IntegrityError:  # pushed concurrently, and committed: answer with theirs
                return _answer(await DmsReference.filter(**key).using_db(connection).get(), fingerprint)
            object_id, problems = await make(connection)
            if problems or object_id is None:
                raise _Refused(tuple(problems))
            await DmsReference.filter(id=reference.id).using_db(connection).update(object_id=object_id)
            await audit.record(f"dms.{kind.value.lower()}_pushed", clock=services.clock, origin=origin,
                               actor=credential.created_by_id, using_db=connection, details={
                                   "api_credential_id": credential.id, "dealership_id": credential.dealership_id,
                                   "external_id": external_id, "object_id": object_id})
    except _Refused as refused:
        return Pushed(problems=refused.problems)
    return Pushed(object_id=object_id, created=True)
