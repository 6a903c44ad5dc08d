"""Storage on both databases: exact money, constraints in the database, safe migrations."""

from __future__ import annotations

import importlib
import shutil
import sys
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.autodetector import MigrationAutodetector

from finance.money import MoneyError
from models import Contract, Customer, LedgerEntry, Vehicle
from models.enums import LedgerEntryKind
from service import db as database
from tests import factories

REPO = Path(__file__).resolve().parents[2]
POSTED = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


async def _contract(services) -> Contract:
    return await factories.loan(await factories.customer(services), await factories.dealership())


async def test_money_sums_are_exact_integer_cents(services):
    contract = await _contract(services)
    for _ in range(10):
        await LedgerEntry.create(contract=contract, kind=LedgerEntryKind.PAYMENT, effective_date=date(2026, 1, 1),
                                 posted_at=POSTED, amount=Decimal("0.10"), principal=Decimal("0.10"))
    rows = await connections.get("default").execute_query_dict(
        "SELECT SUM(amount) AS total FROM ledger_entries WHERE contract_id = " + str(contract.id)
    )
    total = rows[0]["total"]  # SQLite: int; PostgreSQL: SUM(bigint) is numeric (Decimal). Never a float.
    assert total == 100 and not isinstance(total, float)
    amounts = await LedgerEntry.filter(contract=contract).values_list("amount", flat=True)
    assert sum(amounts) == Decimal("1.00") and all(isinstance(a, Decimal) for a in amounts)


async def test_fractions_of_a_cent_never_reach_the_database(services):
    contract = await _contract(services)
    with pytest.raises(MoneyError):
        await LedgerEntry.create(contract=contract, kind=LedgerEntryKind.PAYMENT, effective_date=date(2026, 1, 1),
                                 posted_at=POSTED, amount=Decimal("0.105"), principal=Decimal("0.105"))
    assert await LedgerEntry.all().count() == 0


@pytest.mark.parametrize(
    "parts",
    [
        {"amount": Decimal("10.00"), "principal": Decimal("9.00")},  # parts do not add up
        {"amount": Decimal("-5.00"), "principal": Decimal("-5.00")},  # negative
    ],
)
async def test_database_checks_the_ledger(services, parts):
    contract = await _contract(services)
    with pytest.raises(IntegrityError):
        await LedgerEntry.create(contract=contract, kind=LedgerEntryKind.PAYMENT, effective_date=date(2026, 1, 1),
                                 posted_at=POSTED, **parts)


async def test_database_checks_vins_and_lease_terms(services):
    with pytest.raises(IntegrityError):
        await factories.vehicle(vin="TOO-SHORT")
    owner, dealer = await factories.customer(services), await factories.dealership()
    with pytest.raises(IntegrityError):
        await factories.loan(owner, dealer, kind="LEASE")  # a lease without residual or money factor


async def test_committed_migrations_match_the_models(db):
    config = database.tortoise_config("sqlite://:memory:")
    apps_config = config["apps"]
    autodetector = MigrationAutodetector(Tortoise.apps, apps_config)
    writers = await autodetector.changes()
    assert writers == [], "models changed without a migration: run `autofin makemigrations --name <what>`"


PROBE_MIGRATION = '''
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("autofin", "{previous}")]
    operations = [ops.AlterField(model_name="Customer", name="city", field=fields.CharField(max_length=80))]
'''


async def _scratch_database(backend: str, tmp_path: Path) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite://{tmp_path / 'scratch.sqlite3'}", None
    import os

    server = os.environ["AUTOFIN_TEST_POSTGRES_URL"]
    name = f"autofin_scratch_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return server.rsplit("/", 1)[0] + f"/{name}", drop


async def test_a_migration_that_rebuilds_a_parent_table_keeps_every_row(db, services, tmp_path, request):
    """Tortoise rebuilds a SQLite table to change a column; with foreign keys on, dropping the old
    customers table would cascade into contracts and ledger entries (stack-notes.md)."""
    package = f"probe_migrations_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    committed = database.committed_migrations()
    for name in committed:
        shutil.copy(REPO / "migrations" / "autofin" / f"{name}.py", tmp_path / package / f"{name}.py")
    sys.path.insert(0, str(tmp_path))
    url, drop = await _scratch_database(request.config.getoption("--db"), tmp_path)
    try:
        await database.migrate(url, progress=lambda _: None, migrations_module=package)
        await Tortoise.init(config=database.tortoise_config(url, migrations_module=package))
        contract = await _contract(services)
        await factories.payment(contract, date(2026, 2, 15), "116.07", "50.00", POSTED)
        before = (await Customer.all().count(), await Contract.all().count(), await LedgerEntry.all().count())
        await database.close_db()

        (tmp_path / package / "9999_widen_customer_city.py").write_text(PROBE_MIGRATION.format(previous=committed[-1]))
        importlib.invalidate_caches()
        applied = await database.migrate(url, progress=lambda _: None, migrations_module=package)
        assert applied == ["9999_widen_customer_city"]

        await Tortoise.init(config=database.tortoise_config(url, migrations_module=package))
        after = (await Customer.all().count(), await Contract.all().count(), await LedgerEntry.all().count())
        assert before == (1, 1, 1)
        assert after == before
        # The column itself is wider now (the Python model still says 64, so use SQL).
        await connections.get("default").execute_query(f"UPDATE customers SET city = '{'C' * 80}'")
        assert await Vehicle.all().count() == 1
    finally:
        await database.close_db()
        sys.path.remove(str(tmp_path))
        if drop is not None:
            await drop()
        await database.init_db(db)  # give the rest of the session its database back


async def test_every_check_constraint_of_the_models_exists_in_the_database(db):
    """Tortoise 1.1's CreateModel silently drops `constraints`; each must come from an AddConstraint."""
    from tortoise.migrations.constraints import CheckConstraint

    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        rows = await connection.execute_query_dict("SELECT conname AS name FROM pg_constraint WHERE contype = 'c'")
        present = {row["name"] for row in rows}
    else:
        rows = await connection.execute_query_dict("SELECT sql FROM sqlite_master WHERE type = 'table'")
        present = " ".join(row["sql"] or "" for row in rows)
    expected = [c.name for model in Tortoise.apps[database.APP_LABEL].values()
                for c in model._meta.constraints if isinstance(c, CheckConstraint)]
    assert len(expected) >= 17
    missing = [name for name in expected if name not in present]
    assert missing == []
