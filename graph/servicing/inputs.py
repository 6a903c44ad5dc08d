"""Inputs of the servicing fields: filtering and ordering of the payment history, odometer reports."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from graph import enums


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Oldest (smallest) first.")
    DESC = strawberry.enum_value("DESC", description="Newest (largest) first.")


@strawberry.enum(description="What a contract's transactions can be sorted by (the entry id breaks ties).")
class TransactionOrderField(Enum):
    EFFECTIVE_DATE = strawberry.enum_value(
        "EFFECTIVE_DATE", description="The day the money counts from (the day a payment was received)."
    )


@strawberry.input(description="Which transactions to list. Leave a field out to not filter on it.")
class TransactionFilter:
    from_date: date | None = strawberry.field(
        default=None, name="from", description="Only transactions effective on or after this day."
    )
    to_date: date | None = strawberry.field(
        default=None, name="to", description="Only transactions effective on or before this day."
    )
    kinds: list[enums.LedgerEntryKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only transactions of these kinds (e.g. [PAYMENT, PAYMENT_REVERSAL])."
    )


@strawberry.input(description="How to sort transactions. Default: newest first (EFFECTIVE_DATE, DESC).")
class TransactionOrder:
    field: TransactionOrderField = strawberry.field(
        default=TransactionOrderField.EFFECTIVE_DATE, description="The sort key."
    )
    direction: OrderDirection = strawberry.field(default=OrderDirection.DESC, description="ASC or DESC.")


@strawberry.input(description="An odometer reading of one of your leased vehicles.")
class ReportOdometerInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of your lease (a `Contract` id).")
    miles: int = strawberry.field(
        description="The odometer reading in whole miles. Not less than an earlier reading, not more than a later one."
    )
    read_on: date | None = strawberry.field(
        default=None, description="The day of the reading (default: today). Not in the future, not before the "
        "contract date."
    )
