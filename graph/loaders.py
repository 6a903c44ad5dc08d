"""Per-request DataLoaders: a list of N objects needing the same related row costs one query, not N.

Servicing figures: `ledger` loads every ledger row of all the contracts a request touches in one
query; `contract_states` computes each contract's position and due status once per business date
from those rows (no query of its own); `figures` computes the same figures (and the newest
transactions) from each contract's ledger checkpoint and the rows after it, so a dashboard costs the
same whatever the length of the history; `odometer` loads the readings of many leases in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from strawberry.dataloader import DataLoader

from graph.esign_loaders import EsignLoaders
from graph.origination import decision_loaders
from models import (
    Contract,
    Customer,
    Dealership,
    LedgerEntry,
    OdometerReading,
    PaymentMethod,
    Vehicle,
)
from resolvers.servicing.customer_contracts import contracts_of_customers
from resolvers.servicing.positions import (
    ContractState,
    contract_state,
    figures_for,
    ledger_rows,
)


def _by_id_loader(model):
    async def load(ids: Sequence[int]):
        rows = {row.id: row for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _ledger_loader() -> DataLoader[int, list[LedgerEntry]]:
    async def load(contract_ids: Sequence[int]):
        grouped = await ledger_rows(contract_ids)
        return [grouped.get(i, []) for i in contract_ids]

    return DataLoader(load_fn=load)


def _state_loader(ledger: DataLoader[int, list[LedgerEntry]]) -> DataLoader[tuple[Contract, date], ContractState]:
    """Keyed by (contract row, business date), cached by (contract id, date)."""

    async def load(keys: Sequence[tuple[Contract, date]]):
        rows = await ledger.load_many([contract.id for contract, _ in keys])
        return [contract_state(contract, entries, as_of) for (contract, as_of), entries in zip(keys, rows)]

    return DataLoader(load_fn=load, cache_key_fn=lambda key: (key[0].id, key[1]))


def _figures_loader() -> DataLoader[tuple[Contract, date, datetime], ContractState]:
    """Keyed by (contract row, business date, now), cached by (contract id, date): the figures and newest
    transactions from each contract's ledger checkpoint (positions.figures_for), whatever the history."""

    async def load(keys: Sequence[tuple[Contract, date, datetime]]):
        by_date: dict[date, list[Contract]] = defaultdict(list)
        for contract, as_of, _ in keys:
            by_date[as_of].append(contract)
        now = keys[0][2]
        states = {as_of: await figures_for(contracts, as_of, now=now) for as_of, contracts in by_date.items()}
        return [states[as_of][contract.id] for contract, as_of, _ in keys]

    return DataLoader(load_fn=load, cache_key_fn=lambda key: (key[0].id, key[1]))


def _customer_contracts_loader() -> DataLoader[int, list[Contract]]:
    """customer id -> every contract they hold or co-signed (a short list: paged in memory)."""

    async def load(customer_ids: Sequence[int]):
        found = await contracts_of_customers(customer_ids)
        return [found.get(customer_id, []) for customer_id in customer_ids]

    return DataLoader(load_fn=load)


def _odometer_loader() -> DataLoader[int, list[OdometerReading]]:
    async def load(contract_ids: Sequence[int]):
        grouped: dict[int, list[OdometerReading]] = defaultdict(list)
        for row in await OdometerReading.filter(contract_id__in=list(contract_ids)).order_by("read_on", "id"):
            grouped[row.contract_id].append(row)
        return [grouped.get(i, []) for i in contract_ids]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    vehicles: DataLoader[int, Vehicle | None] = field(default_factory=lambda: _by_id_loader(Vehicle))
    dealerships: DataLoader[int, Dealership | None] = field(default_factory=lambda: _by_id_loader(Dealership))
    customers: DataLoader[int, Customer | None] = field(default_factory=lambda: _by_id_loader(Customer))
    customer_contracts: DataLoader[int, list[Contract]] = field(default_factory=_customer_contracts_loader)
    # By id, for rows already known to be visible (e.g. a visible payment's contract and method).
    contracts: DataLoader[int, Contract | None] = field(default_factory=lambda: _by_id_loader(Contract))
    payment_methods: DataLoader[int, PaymentMethod | None] = field(default_factory=lambda: _by_id_loader(PaymentMethod))
    ledger: DataLoader[int, list[LedgerEntry]] = field(default_factory=_ledger_loader)
    odometer: DataLoader[int, list[OdometerReading]] = field(default_factory=_odometer_loader)
    # E-signature: envelopes by application, their signers, events and documents (graph/esign_loaders.py).
    esign: EsignLoaders = field(default_factory=EsignLoaders)
    contract_states: DataLoader[tuple[Contract, date], ContractState] = field(init=False)
    # Balance, due status and newest transactions only (checkpointed: not the whole ledger).
    figures: DataLoader[tuple[Contract, date, datetime], ContractState] = field(default_factory=_figures_loader)
    # Origination decisions and credit reports by application id (graph/origination/decision_loaders.py).
    latest_decisions: DataLoader = field(default_factory=decision_loaders.latest_decision_loader)
    credit_reports: DataLoader = field(default_factory=decision_loaders.credit_reports_loader)

    # Loaders a domain module declares next to its types, made on first use (see `named`).
    _named: dict[str, DataLoader] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.contract_states = _state_loader(self.ledger)

    def named(self, name: str, factory: Callable[[], DataLoader]) -> DataLoader:
        """The request's loader called `name`, made by `factory` on first use: one batch per request
        for loaders that belong with their domain's types rather than in this file."""
        loader = self._named.get(name)
        if loader is None:
            loader = self._named[name] = factory()
        return loader
