"""Per-request DataLoaders: a list of N objects needing the same related row costs one query, not N."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import Customer, Dealership, Vehicle


def _by_id_loader(model):
    async def load(ids: Sequence[int]):
        rows = {row.id: row for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    vehicles: DataLoader[int, Vehicle | None] = field(default_factory=lambda: _by_id_loader(Vehicle))
    dealerships: DataLoader[int, Dealership | None] = field(default_factory=lambda: _by_id_loader(Dealership))
    customers: DataLoader[int, Customer | None] = field(default_factory=lambda: _by_id_loader(Customer))
