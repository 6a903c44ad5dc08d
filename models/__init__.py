"""Tortoise models of autofin, registered as the app `autofin`. Data only: rules live in resolvers/."""

from models.analytics import DelinquencyMonthEnd, DelinquencyMonthEndRun
from models.autopay import AutopayCycle, AutopayPlan
from models.contracts import Contract
from models.corrections import LedgerCorrection
from models.coverage import ApplicationAddOn, Coverage
from models.dms import ApiCredential, DmsReference
from models.esign import Envelope, EnvelopeDocument, EnvelopeEvent, Signer
from models.identity import Session, User
from models.ledger import LedgerEntry
from models.live import LiveEvent
from models.messages import (
    AttachmentBlob,
    MessageAttachment,
    MessageThread,
    SecureMessage,
)
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
from models.security import (
    AttemptCounter,
    AuditChainHead,
    AuditEvent,
    KnownDevice,
    OneTimeToken,
    RecoveryCode,
)
from models.service import ServiceOperation, ServiceVisit
from models.servicing import (
    ContractDelinquency,
    DailyCloseChunk,
    DailyCloseRun,
    Document,
    LedgerCheckpoint,
    OdometerReading,
)
from models.support import CaseNote, IdentityVerification, SupportCase
from models.vehicles import Vehicle
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiCredential",
    "Applicant",
    "ApplicationAddOn",
    "ApplicationDecision",
    "AttachmentBlob",
    "AttemptCounter",
    "AuditChainHead",
    "AuditEvent",
    "AutopayCycle",
    "AutopayPlan",
    "CaseNote",
    "CommunicationPreferences",
    "Contract",
    "ContractDelinquency",
    "Coverage",
    "CreditApplication",
    "CreditReport",
    "Customer",
    "CustomerOnboarding",
    "DailyCloseChunk",
    "DailyCloseRun",
    "Dealership",
    "DecisionRuleSet",
    "DelinquencyMonthEnd",
    "DelinquencyMonthEndRun",
    "DmsReference",
    "Document",
    "Envelope",
    "EnvelopeDocument",
    "EnvelopeEvent",
    "Funding",
    "IdentityVerification",
    "KnownDevice",
    "LedgerCheckpoint",
    "LedgerCorrection",
    "LedgerEntry",
    "LiveEvent",
    "MessageAttachment",
    "MessageThread",
    "Notification",
    "OdometerReading",
    "OneTimeToken",
    "OutboxMessage",
    "Payment",
    "PaymentMethod",
    "PlanChangeRequest",
    "RecoveryCode",
    "ScheduleChange",
    "SecureMessage",
    "ServiceOperation",
    "ServiceVisit",
    "Session",
    "Signer",
    "SupportCase",
    "User",
    "Vehicle",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
