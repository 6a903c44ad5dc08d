"""Tortoise models of autofin, registered as the app `autofin`. Data only: rules live in resolvers/."""

from models.autopay import AutopayCycle, AutopayPlan
from models.contracts import Contract
from models.esign import Envelope, EnvelopeDocument, EnvelopeEvent, Signer
from models.identity import Session, User
from models.ledger import LedgerEntry
from models.origination import (
    Applicant,
    ApplicationDecision,
    CreditApplication,
    CreditReport,
    CustomerOnboarding,
    DecisionRuleSet,
    Funding,
)
from models.outbox import OutboxMessage
from models.parties import Customer, Dealership
from models.payments import Notification, Payment, PaymentMethod
from models.plan_changes import PlanChangeRequest, ScheduleChange
from models.preferences import CommunicationPreferences
from models.servicing import (
    ContractDelinquency,
    DailyCloseChunk,
    DailyCloseRun,
    Document,
    LedgerCheckpoint,
    OdometerReading,
)
from models.security import AttemptCounter, AuditChainHead, AuditEvent, KnownDevice, OneTimeToken, RecoveryCode
from models.vehicles import Vehicle
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Applicant",
    "ApplicationDecision",
    "AttemptCounter",
    "AuditChainHead",
    "AuditEvent",
    "AutopayCycle",
    "AutopayPlan",
    "CommunicationPreferences",
    "Contract",
    "ContractDelinquency",
    "CreditApplication",
    "CreditReport",
    "Customer",
    "CustomerOnboarding",
    "DailyCloseChunk",
    "DailyCloseRun",
    "Dealership",
    "DecisionRuleSet",
    "Document",
    "Envelope",
    "EnvelopeDocument",
    "EnvelopeEvent",
    "Funding",
    "KnownDevice",
    "LedgerCheckpoint",
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
    "Signer",
    "User",
    "Vehicle",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
