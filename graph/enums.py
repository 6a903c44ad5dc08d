"""Schema enums, wrapping the stored enums of models/enums.py with descriptions."""

import strawberry

from models import enums

Role = strawberry.enum(enums.Role, description="What a user is allowed to do. Each user has exactly one role.")
ContractKind = strawberry.enum(
    enums.ContractKind, description="LOAN: retail installment contract. LEASE: closed-end vehicle lease."
)
ContractStatus = strawberry.enum(
    enums.ContractStatus,
    description="ACTIVE: being repaid. PAID_OFF: loan fully paid. MATURED: lease reached its end. "
    "TERMINATED: ended early.",
)
VehicleCondition = strawberry.enum(enums.VehicleCondition, description="Whether the vehicle was sold new or used.")
LedgerEntryKind = strawberry.enum(
    enums.LedgerEntryKind,
    description="What a ledger transaction records. Entries are never edited: a reversal is its own entry.",
)
SessionMode = strawberry.enum(
    enums.SessionKind,
    name="SessionMode",
    description="COOKIE: for browsers (httpOnly cookie + CSRF header). BEARER: for tools (token in the response).",
)
