"""What a user wants to hear about, per category, and whether statements are paperless.

A user without a stored row has the defaults (reminders, confirmations and statement notices on,
marketing off, paper statements); the row is created the first time they change something, so
reading never writes. Security alerts are always on: there is no column and no switch for them.

Other features ask `await wants(user_id, Category.PAYMENT_REMINDERS)` before sending a message
of that category, and `await paperless(user_id)` before mailing a paper statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth import audit
from models import CommunicationPreferences, User
from service.container import Services


class Category(str, Enum):
    """Kinds of messages a user can turn on or off (security alerts cannot be turned off)."""

    PAYMENT_REMINDERS = "payment_reminders"
    PAYMENT_CONFIRMATIONS = "payment_confirmations"
    STATEMENTS_READY = "statements_ready"
    MARKETING = "marketing"
    COVERAGE_REMINDERS = "coverage_reminders"  # a warranty or coverage product about to end
    SECURITY_ALERTS = "security_alerts"


DEFAULTS: dict[str, bool] = {
    "payment_reminders": True,
    "payment_confirmations": True,
    "statements_ready": True,
    "marketing": False,
    "paperless_statements": False,
    "coverage_reminders": True,
}
SWITCHES = tuple(DEFAULTS)


@dataclass(frozen=True)
class Preferences:
    """A user's choices (stored, or the defaults when nothing is stored yet)."""

    payment_reminders: bool
    payment_confirmations: bool
    statements_ready: bool
    marketing: bool
    paperless_statements: bool
    coverage_reminders: bool = True
    updated_at: datetime | None = None  # the last change; None while on the defaults
    security_alerts: bool = True

    @classmethod
    def of(cls, row: CommunicationPreferences | None) -> Preferences:
        if row is None:
            return cls(**DEFAULTS)
        return cls(**{name: getattr(row, name) for name in SWITCHES}, updated_at=row.updated_at)


async def preferences_of(user_id: int) -> Preferences:
    return Preferences.of(await CommunicationPreferences.get_or_none(user_id=user_id))


async def wants(user_id: int, category: Category | str) -> bool:
    """Whether the user wants messages of `category`. Security alerts: always True."""
    category = Category(category)
    if category is Category.SECURITY_ALERTS:
        return True
    return getattr(await preferences_of(user_id), category.value)


async def paperless(user_id: int) -> bool:
    """Whether the user chose electronic statements only (no paper mail)."""
    return (await preferences_of(user_id)).paperless_statements


async def _row_for_update(user: User, services: Services, connection) -> CommunicationPreferences:
    row = await CommunicationPreferences.filter(user_id=user.id).select_for_update().using_db(connection).first()
    if row is not None:
        return row
    try:
        async with in_transaction(connection.connection_name) as savepoint:
            await CommunicationPreferences.create(user_id=user.id, updated_at=services.clock.now(), **DEFAULTS,
                                                  using_db=savepoint)
    except IntegrityError:
        pass  # created concurrently: use theirs
    return await CommunicationPreferences.filter(user_id=user.id).select_for_update().using_db(connection).get()


async def update(services: Services, *, user: User, changes: dict[str, bool], origin: audit.Origin) -> Preferences:
    """Apply `changes` (switch name -> value; others unchanged) and audit what changed."""
    unknown = set(changes) - set(SWITCHES)
    if unknown:
        raise ValueError(f"not a preference switch: {sorted(unknown)}")
    async with in_transaction() as connection:
        row = await _row_for_update(user, services, connection)
        changed = {name: value for name, value in changes.items() if getattr(row, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at = services.clock.now()
            await row.save(update_fields=[*changed, "updated_at"], using_db=connection)
            await audit.record("preferences.updated", clock=services.clock, origin=origin, actor=user, subject=user,
                               details={"changed": changed}, using_db=connection)
    return Preferences.of(row)
