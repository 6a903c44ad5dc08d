"""Per-request DataLoaders of e-signature rows (graph/esign.py): a page of applications with their
envelopes, signers, events and documents costs one query per kind of row, not one per object.
Callers pass ids of rows they may already see; nothing here checks visibility."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import Envelope, EnvelopeDocument, EnvelopeEvent, Signer

# Documents are listed without their bytes.
DOCUMENT_LISTING = ("id", "envelope_id", "kind", "title", "sha256", "size_bytes", "created_at")


def _grouped(model, key: str, order: tuple[str, ...], only: tuple[str, ...] = ()) -> DataLoader:
    async def load(ids: Sequence[int]):
        query = model.filter(**{f"{key}__in": list(ids)}).order_by(*order)
        grouped = defaultdict(list)
        for row in await (query.only(*only) if only else query):
            grouped[getattr(row, key)].append(row)
        return [grouped.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


@dataclass
class EsignLoaders:
    # An application's envelopes, newest first.
    envelopes: DataLoader[int, list[Envelope]] = field(
        default_factory=lambda: _grouped(Envelope, "application_id", ("-created_at", "-id")))
    signers: DataLoader[int, list[Signer]] = field(
        default_factory=lambda: _grouped(Signer, "envelope_id", ("routing_order",)))
    events: DataLoader[int, list[EnvelopeEvent]] = field(
        default_factory=lambda: _grouped(EnvelopeEvent, "envelope_id", ("id",)))
    documents: DataLoader[int, list[EnvelopeDocument]] = field(
        default_factory=lambda: _grouped(EnvelopeDocument, "envelope_id", ("id",), DOCUMENT_LISTING))
