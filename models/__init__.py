"""Tortoise models of autofin, registered as the app `autofin`. Data only: rules live in resolvers/."""

from models.autopay import AutopayCycle, AutopayPlan
from models.contracts import Contract
from models.identity import Session, User
from models.ledger import LedgerEntry
from models.outbox import OutboxMessage
from models.parties import Customer, Dealership
from models.payments import Notification, Payment, PaymentMethod
from models.plan_changes import PlanChangeRequest, ScheduleChange
from models.preferences import CommunicationPreferences
from models.servicing import ContractDelinquency, DailyCloseRun, Document, OdometerReading
from models.security import AttemptCounter, AuditChainHead, AuditEvent, KnownDevice, OneTimeToken, RecoveryCode
from models.vehicles import Vehicle

__all__ = [
    "AttemptCounter",
    "AuditChainHead",
    "AuditEvent",
    "AutopayCycle",
    "AutopayPlan",
    "CommunicationPreferences",
    "Contract",
    "ContractDelinquency",
    "Customer",
    "DailyCloseRun",
    "Dealership",
    "Document",
    "KnownDevice",
    "LedgerEntry",
    "Notification",
    "OdometerReading",
    "OneTimeToken",
    "OutboxMessage",
    "Payment",
    "PaymentMethod",
    "PlanChangeRequest",
    "RecoveryCode",
    "ScheduleChange",
    "Session",
    "User",
    "Vehicle",
]
