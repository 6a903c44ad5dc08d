"""Database wiring: the Tortoise configuration and the migration runner.

Migrations are Tortoise ORM 1.x's own (`tortoise.migrations`), committed under migrations/autofin
and applied by `autofin migrate`. On SQLite they run with `foreign_keys=OFF`: Tortoise rebuilds
a table to change a column (DROP + RENAME), and with foreign keys on, the DROP cascades and
deletes every child row (stack-notes.md). After migrating, `PRAGMA foreign_key_check` must
come back empty or the command fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.recorder import MigrationRecorder

APP_LABEL = "autofin"
MODEL_MODULES = ["models"]
MIGRATIONS_MODULE = "migrations.autofin"


class MigrationError(Exception):
    pass


async def _keep_session(connection) -> None:
    """asyncpg's pool runs RESET ALL, CLOSE ALL, UNLISTEN * and pg_advisory_unlock_all() on every
    connection it takes back (by default): a round trip after every query, since Tortoise returns the
    connection to the pool after each one. autofin leaves nothing to reset: no session settings,
    cursors, LISTEN or session-level advisory locks (only transaction-level ones, which end with their
    transaction), and asyncpg still rolls back a transaction left open before calling this."""


def tortoise_config(
    database_url: str, *, foreign_keys: bool = True, migrations_module: str = MIGRATIONS_MODULE
) -> dict[str, Any]:
    """The Tortoise config for `database_url` (sqlite://path or postgres://...)."""
    connection = expand_db_url(database_url)
    if connection["engine"] == "tortoise.backends.asyncpg":
        connection["credentials"].setdefault("reset", _keep_session)
    if connection["engine"] == "tortoise.backends.sqlite":
        Path(connection["credentials"]["file_path"]).parent.mkdir(parents=True, exist_ok=True)
        connection["credentials"]["foreign_keys"] = "ON" if foreign_keys else "OFF"
        # Wait for the one writer instead of failing at once when the worker holds the lock.
        connection["credentials"].setdefault("busy_timeout", 5000)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "migrations": migrations_module,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite:")


async def init_db(database_url: str) -> None:
    # Tortoise 1.x keeps its connections in a context variable; uvicorn runs the lifespan in
    # another task than the requests, so they need the global fallback (what RegisterTortoise
    # does for the same reason).
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    # Closes the connections and clears the global fallback context (connections.close_all
    # would leave it set, and the next init in this process would be refused).
    await Tortoise.close_connections()


async def migrate(
    database_url: str, progress: Callable[[str], None] = print, *, migrations_module: str = MIGRATIONS_MODULE
) -> list[str]:
    """Apply every committed migration not yet applied; return their names."""
    before = set(await applied_migrations(database_url))

    def report(event: str, app_label: str, name: str) -> None:
        if event == "apply_start":
            progress(f"applying {app_label}.{name} ...")
        elif event == "apply_done":
            progress(f"applied  {app_label}.{name}")

    config = tortoise_config(database_url, foreign_keys=False, migrations_module=migrations_module)
    try:
        await tortoise_migrate(config=config, progress=report)
        if is_sqlite(database_url):
            violations = await connections.get("default").execute_query_dict("PRAGMA foreign_key_check")
            if violations:
                raise MigrationError(f"foreign key violations after migrating: {violations[:5]}")
    finally:
        await close_db()
    after = await applied_migrations(database_url)
    return [name for name in after if name not in before]


async def applied_in_connection() -> list[str]:
    """Applied migration names, through the already-initialized default connection."""
    applied = await MigrationRecorder(connections.get("default")).applied_migrations()
    return [key.name for key in applied if key.app_label == APP_LABEL]


async def applied_migrations(database_url: str) -> list[str]:
    """Names of the migrations recorded as applied, oldest first ([] on an empty database)."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        return await applied_in_connection()
    finally:
        await close_db()


def committed_migrations() -> list[str]:
    """Names of the migration files in the repository, in order."""
    package = Path(__file__).resolve().parent.parent / "migrations" / APP_LABEL
    return sorted(p.stem for p in package.glob("[0-9][0-9][0-9][0-9]_*.py"))


async def pending_migrations(database_url: str) -> list[str]:
    applied = set(await applied_migrations(database_url))
    return [name for name in committed_migrations() if name not in applied]


async def pending_in_connection() -> list[str]:
    applied = set(await applied_in_connection())
    return [name for name in committed_migrations() if name not in applied]
