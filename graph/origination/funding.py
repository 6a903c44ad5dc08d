"""The funding of an application in the schema (`CreditApplication.funding`). Thin: booking is in
resolvers/origination/funding.py; here the Funding row is only shown, to whoever may see the application."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from graph.scalars import Money, money
from models import Funding
from models import enums as model_enums

FundingStatusEnum = strawberry.enum(
    model_enums.FundingStatus, name="FundingStatus",
    description="PENDING: booked, payment to the dealer not yet made. FUNDED: the dealer was paid.",
)


@strawberry.type(name="Funding", description="The booking of a signed application as a servicing contract, and the "
                 "payment to the dealership.")
class FundingType:
    amount: Money = strawberry.field(description="Paid to the dealership: the amount financed (loan) or the adjusted "
                                     "capitalized cost (lease).")
    status: FundingStatusEnum = strawberry.field(description="Whether the dealer was paid.")  # type: ignore[valid-type]
    funded_at: datetime | None = strawberry.field(description="When the dealer was paid; null while PENDING.")
    contract_number: str = strawberry.field(description="The account number of the booked contract.")

    @classmethod
    def from_model(cls, row: Funding) -> FundingType:
        return cls(amount=money(row.amount), status=row.status, funded_at=row.funded_at,
                   contract_number=row.contract.number)


def _loader() -> DataLoader[int, Funding | None]:
    async def load(application_ids: Sequence[int]):
        rows = {row.application_id: row
                for row in await Funding.filter(application_id__in=list(application_ids)).select_related("contract")}
        return [rows.get(i) for i in application_ids]

    return DataLoader(load_fn=load)


async def funding_of(info: Info, application_id: int) -> FundingType | None:
    """The application's funding, one query for every application of the request. The caller has
    already established that the application is visible."""
    row = await info.context.loaders.named("fundings_by_application", _loader).load(application_id)
    return FundingType.from_model(row) if row is not None else None
