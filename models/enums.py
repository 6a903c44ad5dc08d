"""Enumerations stored in the database (as their string values) and exposed in the schema."""

from enum import Enum


class Role(str, Enum):
    CUSTOMER = "CUSTOMER"
    DEALER_USER = "DEALER_USER"
    DEALER_ADMIN = "DEALER_ADMIN"
    UNDERWRITER = "UNDERWRITER"
    SUPPORT = "SUPPORT"
    SUPPORT_LEAD = "SUPPORT_LEAD"
    ANALYST = "ANALYST"
    ADMIN = "ADMIN"


DEALER_ROLES = frozenset({Role.DEALER_USER, Role.DEALER_ADMIN})
STAFF_ROLES = frozenset(Role) - {Role.CUSTOMER}


class ContractKind(str, Enum):
    LOAN = "LOAN"
    LEASE = "LEASE"


class ContractStatus(str, Enum):
    ACTIVE = "ACTIVE"
    PAID_OFF = "PAID_OFF"
    MATURED = "MATURED"
    TERMINATED = "TERMINATED"
    CHARGED_OFF = "CHARGED_OFF"  # written off as a loss after long delinquency (portfolio analytics)


class VehicleCondition(str, Enum):
    NEW = "NEW"
    USED = "USED"


class LedgerEntryKind(str, Enum):
    """What a ledger entry records. Entries are never edited; a reversal is a new entry."""

    PAYMENT = "PAYMENT"
    PAYMENT_REVERSAL = "PAYMENT_REVERSAL"
    LATE_FEE = "LATE_FEE"
    RETURNED_PAYMENT_FEE = "RETURNED_PAYMENT_FEE"
    FEE_WAIVER = "FEE_WAIVER"
    ADJUSTMENT = "ADJUSTMENT"
    # A small residual left after a late payoff, waived instead of chased (finance-notes.md).
    PAYOFF_WAIVER = "PAYOFF_WAIVER"
    # Money paid beyond the payoff, returned to the customer.
    REFUND = "REFUND"


class SessionKind(str, Enum):
    COOKIE = "COOKIE"
    BEARER = "BEARER"


class OutboxStatus(str, Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    DEAD = "DEAD"


class SessionScope(str, Enum):
    """FULL: a normal session. MFA_ENROLMENT: staff who must enrol MFA before anything else."""

    FULL = "FULL"
    MFA_ENROLMENT = "MFA_ENROLMENT"


class TokenPurpose(str, Enum):
    """What a single-use emailed (or challenge) token may be used for."""

    EMAIL_VERIFICATION = "EMAIL_VERIFICATION"
    REGISTRATION_LINK = "REGISTRATION_LINK"
    PASSWORD_RESET = "PASSWORD_RESET"
    MFA_CHALLENGE = "MFA_CHALLENGE"
    STAFF_SETUP = "STAFF_SETUP"
    EMAIL_CHANGE = "EMAIL_CHANGE"


class DelinquencyBucket(str, Enum):
    CURRENT = "CURRENT"
    DPD_1_29 = "DPD_1_29"
    DPD_30_59 = "DPD_30_59"
    DPD_60_89 = "DPD_60_89"
    DPD_90_PLUS = "DPD_90_PLUS"


class OdometerSource(str, Enum):
    ORIGINATION = "ORIGINATION"
    CUSTOMER = "CUSTOMER"
    SERVICE = "SERVICE"


class DocumentKind(str, Enum):
    STATEMENT = "STATEMENT"
    TAX_INTEREST_STATEMENT = "TAX_INTEREST_STATEMENT"
    TAX_LEASE_STATEMENT = "TAX_LEASE_STATEMENT"


class PaymentMethodKind(str, Enum):
    BANK_ACCOUNT = "BANK_ACCOUNT"
    DEBIT_CARD = "DEBIT_CARD"


class BankAccountType(str, Enum):
    CHECKING = "CHECKING"
    SAVINGS = "SAVINGS"


class PaymentStatus(str, Enum):
    """scheduled -> processing -> settled, or -> failed / returned / cancelled."""

    SCHEDULED = "SCHEDULED"
    PROCESSING = "PROCESSING"
    SETTLED = "SETTLED"
    FAILED = "FAILED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


class NotificationCategory(str, Enum):
    PAYMENT_CONFIRMATIONS = "PAYMENT_CONFIRMATIONS"
    PAYMENT_REMINDERS = "PAYMENT_REMINDERS"
    STATEMENTS_READY = "STATEMENTS_READY"
    SECURITY_ALERTS = "SECURITY_ALERTS"
    PAYMENT_PROBLEMS = "PAYMENT_PROBLEMS"
    PLAN_CHANGES = "PLAN_CHANGES"  # due-date changes and deferrals: always sent, they move due dates
    NEW_CONTRACTS = "NEW_CONTRACTS"  # a contract booked to the customer: always sent
    SECURE_MESSAGES = "SECURE_MESSAGES"  # "you have a new secure message" (never the content)
    ACCOUNT_CORRECTIONS = "ACCOUNT_CORRECTIONS"  # a ledger correction posted by support: always sent
    COVERAGE_EXPIRING = "COVERAGE_EXPIRING"  # a warranty or service plan about to end


class AutopayStatus(str, Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"  # after two consecutive failed drafts; the customer must re-enable
    CANCELLED = "CANCELLED"


class AutopayAmountRule(str, Enum):
    AMOUNT_DUE = "AMOUNT_DUE"
    AMOUNT_DUE_PLUS_EXTRA = "AMOUNT_DUE_PLUS_EXTRA"


class PlanChangeKind(str, Enum):
    DUE_DATE_CHANGE = "DUE_DATE_CHANGE"
    DEFERRAL = "DEFERRAL"


class PlanChangeStatus(str, Enum):
    PENDING_REVIEW = "PENDING_REVIEW"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


# -- origination -------------------------------------------------------------------------------

class IdDocumentType(str, Enum):
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    STATE_ID = "STATE_ID"
    PASSPORT = "PASSPORT"


class ApplicationStatus(str, Enum):
    DRAFT = "DRAFT"  # editable by the dealer
    SUBMITTED = "SUBMITTED"  # decisioning is running
    APPROVED = "APPROVED"
    APPROVED_WITH_CONDITIONS = "APPROVED_WITH_CONDITIONS"
    COUNTER_OFFERED = "COUNTER_OFFERED"
    REFERRED = "REFERRED"  # waiting for an underwriter
    DOCUMENTS_REQUESTED = "DOCUMENTS_REQUESTED"  # an underwriter asked for documents
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"
    CONTRACTED = "CONTRACTED"  # sent for e-signature
    FUNDED = "FUNDED"  # signed and booked as a servicing contract


class DecisionOutcome(str, Enum):
    APPROVED = "APPROVED"
    APPROVED_WITH_CONDITIONS = "APPROVED_WITH_CONDITIONS"
    COUNTER_OFFER = "COUNTER_OFFER"
    DECLINED = "DECLINED"
    REFERRED = "REFERRED"
    DOCUMENTS_REQUESTED = "DOCUMENTS_REQUESTED"


class ApplicantRole(str, Enum):
    APPLICANT = "APPLICANT"
    CO_APPLICANT = "CO_APPLICANT"


class HousingStatus(str, Enum):
    OWN = "OWN"
    RENT = "RENT"
    FAMILY = "FAMILY"
    OTHER = "OTHER"


class EnvelopeStatus(str, Enum):
    SENT = "SENT"
    DELIVERED = "DELIVERED"  # a signer opened it
    PARTIALLY_SIGNED = "PARTIALLY_SIGNED"  # signed by some signers, in routing order
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    VOIDED = "VOIDED"
    EXPIRED = "EXPIRED"


class SignerRole(str, Enum):
    APPLICANT = "APPLICANT"
    CO_APPLICANT = "CO_APPLICANT"
    DEALER = "DEALER"


class SignerStatus(str, Enum):
    WAITING = "WAITING"  # an earlier signer has not signed yet
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    CONSENTED = "CONSENTED"
    SIGNED = "SIGNED"
    DECLINED = "DECLINED"


class EnvelopeDocumentKind(str, Enum):
    UNSIGNED = "UNSIGNED"
    SIGNED = "SIGNED"  # the signed document with its certificate of completion


class FundingStatus(str, Enum):
    PENDING = "PENDING"
    FUNDED = "FUNDED"


class WebhookDeliveryStatus(str, Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # gave up after the last retry


# -- support desk (issue 9) --


class CaseCategory(str, Enum):
    PAYMENT_DISPUTE = "PAYMENT_DISPUTE"
    MISAPPLIED_PAYMENT = "MISAPPLIED_PAYMENT"
    FEE_WAIVER = "FEE_WAIVER"
    DUE_DATE_CHANGE = "DUE_DATE_CHANGE"
    DEFERRAL = "DEFERRAL"
    ACCOUNT_ACCESS = "ACCOUNT_ACCESS"
    OTHER = "OTHER"


class CaseStatus(str, Enum):
    OPEN = "OPEN"
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"
    RESOLVED = "RESOLVED"


class VerificationMethod(str, Enum):
    KNOWLEDGE = "KNOWLEDGE"  # date of birth, ZIP and SSN last four checked against the record
    EMAIL_CODE = "EMAIL_CODE"  # a one-time code sent to the email on file
    SMS_CODE = "SMS_CODE"  # a one-time code sent to the phone on file


class VerificationStatus(str, Enum):
    PENDING = "PENDING"  # a code was sent and not yet checked
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"


class CorrectionKind(str, Enum):
    MOVE_PAYMENT = "MOVE_PAYMENT"  # a payment posted to the wrong contract: reverse it there, apply it here
    REAPPLY_PAYMENT = "REAPPLY_PAYMENT"  # reverse and re-apply with its original date (interest recomputed)
    WAIVE_FEE = "WAIVE_FEE"  # a late or returned-payment fee
    CORRECT_AMOUNT = "CORRECT_AMOUNT"  # a payment posted for the wrong amount


class CorrectionReason(str, Enum):
    MISAPPLIED_PAYMENT = "MISAPPLIED_PAYMENT"
    KEYING_ERROR = "KEYING_ERROR"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    GOODWILL = "GOODWILL"
    DISPUTE_RESOLVED = "DISPUTE_RESOLVED"
    HARDSHIP = "HARDSHIP"


class CorrectionStatus(str, Enum):
    PROPOSED = "PROPOSED"  # waiting for a SUPPORT_LEAD other than the proposer
    POSTED = "POSTED"  # approved; its ledger entries are posted
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"  # withdrawn by the proposer before a decision


class ThreadCategory(str, Enum):
    PAYMENTS = "PAYMENTS"
    ACCOUNT = "ACCOUNT"
    CONTRACT = "CONTRACT"
    LEASE_END = "LEASE_END"
    DOCUMENTS = "DOCUMENTS"
    OTHER = "OTHER"


class ThreadStatus(str, Enum):
    OPEN = "OPEN"  # waiting on support
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"  # support replied last
    CLOSED = "CLOSED"


# -- vehicle coverage, service and the dealer data feed (issue 10) --


class CoverageKind(str, Enum):
    EXTENDED_WARRANTY = "EXTENDED_WARRANTY"  # vehicle service contract
    PREPAID_MAINTENANCE = "PREPAID_MAINTENANCE"
    ROADSIDE_ASSISTANCE = "ROADSIDE_ASSISTANCE"
    GAP = "GAP"
    TIRE_AND_WHEEL = "TIRE_AND_WHEEL"
    # The factory warranty is not stored: it follows from the make's terms (data per make).


class CoverageStatus(str, Enum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class DmsObjectKind(str, Enum):
    DEAL = "DEAL"  # a credit application pushed by the DMS
    REPAIR_ORDER = "REPAIR_ORDER"  # a service visit


class ApiScope(str, Enum):
    DEALS_WRITE = "DEALS_WRITE"
    SERVICE_WRITE = "SERVICE_WRITE"
