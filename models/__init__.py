"""Tortoise models of autofin, registered as the app `autofin`. Data only: rules live in resolvers/."""

from models.contracts import Contract
from models.identity import Session, User
from models.ledger import LedgerEntry
from models.outbox import OutboxMessage
from models.parties import Customer, Dealership
from models.vehicles import Vehicle

__all__ = [
    "Contract",
    "Customer",
    "Dealership",
    "LedgerEntry",
    "OutboxMessage",
    "Session",
    "User",
    "Vehicle",
]
