"""Envelopes from the dealer's side: sending an approved application's contract for signature,
voiding it, and ending envelopes nobody signed in time.

Rules:
- Send: a dealer of the application's dealership, on an APPROVED or APPROVED_WITH_CONDITIONS
  application with no open envelope. The contract's figures come from the latest approving
  decision (resolvers/esign/terms.py); a structure beyond the approval is a CONFLICT. The PDF is
  rendered once and stored with its SHA-256; signers in routing order are the applicant, the
  co-applicant (if any) and the dealership, signed for by the sending user. Only the first signer
  gets a link now (trail.send_link); the application becomes CONTRACTED.
- Void: a dealer of the dealership, with a reason, while the envelope is open (SENT, DELIVERED,
  PARTIALLY_SIGNED). Every link stops working; signers who had one are told.
- Expiry: an open envelope whose current link ran out (expires_at) becomes EXPIRED (jobs/esign.py).
- An envelope that ends unsigned (voided, declined, expired) makes the application approved again,
  so the dealer can send a corrected contract.

Every step runs in one transaction holding the application (send) or envelope (void, expiry) row,
with its EnvelopeEvent, webhooks, mail and, for dealer actions, an audit record.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from documents.contract_pdf import contract_title, render_contract
from mail import notify as mail
from models import CreditApplication, Dealership, Envelope, EnvelopeDocument, Signer, User
from models.enums import (
    DEALER_ROLES,
    ApplicationStatus,
    EnvelopeDocumentKind,
    EnvelopeStatus,
    SignerRole,
    SignerStatus,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.esign import trail
from resolvers.esign.terms import ContractTerms, contract_terms, full_name, latest_approval, load_parties
from resolvers.origination.visibility import applications_visible_to
from service.container import Services

log = logging.getLogger("autofin.esign")

MAX_REASON_LENGTH = 255
SENDABLE = (ApplicationStatus.APPROVED, ApplicationStatus.APPROVED_WITH_CONDITIONS)
EXPIRY_BATCH = 100

APPLICATION_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No application of your dealership has that id.",
                                ("applicationId",))
ENVELOPE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No envelope of your dealership has that id.", ("envelopeId",))


@dataclass(frozen=True)
class EnvelopeOutcome:
    problems: tuple[Problem, ...] = ()
    envelope: Envelope | None = None


def _fail(problem: Problem) -> EnvelopeOutcome:
    return EnvelopeOutcome(problems=(problem,))


def envelopes_visible_to(user: User | None) -> QuerySet[Envelope]:
    """Envelopes of the applications the user may see (resolvers/origination/visibility.py)."""
    return Envelope.filter(application_id__in=Subquery(applications_visible_to(user).values("id")))


def _is_dealer(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in DEALER_ROLES and user.dealership_id is not None


def _reason(reason: str | None) -> str | Problem:
    text = " ".join((reason or "").split())
    if not text or len(text) > MAX_REASON_LENGTH:
        return Problem(ErrorCode.INVALID, f"Give a reason of 1 to {MAX_REASON_LENGTH} characters.", ("reason",))
    return text


# -- send ---------------------------------------------------------------------------------------

async def send(services: Services, *, user: User, origin: Origin, application_id: int | None) -> EnvelopeOutcome:
    if not _is_dealer(user) or application_id is None:
        return _fail(APPLICATION_NOT_FOUND)
    async with in_transaction() as connection:
        application = await (applications_visible_to(user).filter(id=application_id).using_db(connection)
                             .select_for_update().first())
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        problem = await _sendable(application, connection)
        if problem is not None:
            return _fail(problem)
        decision = await latest_approval(application.id, connection)
        parties = await load_parties(application, connection)
        if decision is None or parties is None:
            return _fail(Problem(ErrorCode.CONFLICT, "The application has no approval or no applicant to contract.",
                                 ("applicationId",)))
        # One instant: the envelope's created_at date is the contract date funding books (terms.py).
        now = services.clock.now()
        terms = contract_terms(application, decision, parties, now.astimezone(timezone.utc).date())
        if isinstance(terms, Problem):
            return _fail(terms)
        envelope = await _create(services, user, origin, application, parties, terms, now, connection)
        await trail.set_application_status(services, application, ApplicationStatus.CONTRACTED, decision.outcome,
                                           connection)
    return EnvelopeOutcome(envelope=envelope)


async def _sendable(application: CreditApplication, connection: BaseDBAsyncClient) -> Problem | None:
    if application.status not in SENDABLE:
        return Problem(ErrorCode.CONFLICT, f"Only an approved application can be contracted; this one is "
                       f"{application.status.value}.", ("applicationId",))
    if await Envelope.filter(application_id=application.id, status__in=trail.OPEN_STATUSES) \
            .using_db(connection).exists():
        return Problem(ErrorCode.CONFLICT, "A contract is already out for signature: void it first.",
                       ("applicationId",))
    return None


async def _create(services: Services, user: User, origin: Origin, application: CreditApplication, parties,
                  terms: ContractTerms, now: datetime, connection: BaseDBAsyncClient) -> Envelope:
    content = render_contract(terms.document)
    digest = hashlib.sha256(content).hexdigest()
    title = contract_title(terms.document)
    envelope = await Envelope.create(application_id=application.id, status=EnvelopeStatus.SENT, created_by_id=user.id,
                                     created_at=now, expires_at=now + trail.SIGNING_TTL, using_db=connection)
    await EnvelopeDocument.create(envelope_id=envelope.id, kind=EnvelopeDocumentKind.UNSIGNED, title=title,
                                  content=content, sha256=digest, size_bytes=len(content), created_at=now,
                                  using_db=connection)
    signers = await _signers(envelope, user, parties, connection)
    await trail.record(services, envelope, trail.SENT, actor=user.username, origin=origin, document_sha256=digest,
                       detail=f"to {len(signers)} signers in routing order", using_db=connection)
    await trail.send_link(services, envelope, signers[0], dealership_name=parties.dealership.name,
                          document_title=title, application_number=application.number, using_db=connection)
    await trail.announce(services, envelope, application, connection)
    await audit.record("esign.envelope_sent", clock=services.clock, origin=origin, actor=user, using_db=connection,
                       details={"application_id": application.id, "envelope_id": envelope.id,
                                "document_sha256": digest, "signers": len(signers)})
    return envelope


async def _signers(envelope: Envelope, user: User, parties, connection: BaseDBAsyncClient) -> list[Signer]:
    """Applicant, co-applicant, then the dealership (signed for by the sending user)."""
    people = [(SignerRole.APPLICANT, parties.applicant), (SignerRole.CO_APPLICANT, parties.co_applicant)]
    rows = [dict(role=role, name=full_name(customer), email=customer.email, customer_id=customer.id)
            for role, customer in people if customer is not None]
    rows.append(dict(role=SignerRole.DEALER, name=parties.dealership.name, email=user.email, user_id=user.id))
    return [await Signer.create(envelope_id=envelope.id, routing_order=order, status=SignerStatus.WAITING,
                                using_db=connection, **row)
            for order, row in enumerate(rows, start=1)]


# -- void ---------------------------------------------------------------------------------------

async def void(services: Services, *, user: User, origin: Origin, envelope_id: int | None,
               reason: str | None) -> EnvelopeOutcome:
    if not _is_dealer(user) or envelope_id is None:
        return _fail(ENVELOPE_NOT_FOUND)
    text = _reason(reason)
    if isinstance(text, Problem):
        return _fail(text)
    async with in_transaction() as connection:
        envelope = await (envelopes_visible_to(user).filter(id=envelope_id).using_db(connection)
                          .select_for_update().first())
        if envelope is None:
            return _fail(ENVELOPE_NOT_FOUND)
        if envelope.status not in trail.OPEN_STATUSES:
            return _fail(Problem(ErrorCode.CONFLICT, f"The envelope is {envelope.status.value}: only an open one can "
                                 "be voided.", ("envelopeId",)))
        application = await CreditApplication.get(id=envelope.application_id).using_db(connection)
        document = await _unsigned(envelope, connection)
        await trail.set_status(services, envelope, application, EnvelopeStatus.VOIDED, connection,
                               voided_at=services.clock.now(), void_reason=text)
        await trail.record(services, envelope, trail.VOIDED, actor=user.username, origin=origin,
                           document_sha256=document.sha256, detail=text, using_db=connection)
        await trail.reopen_application(services, application, connection)
        await audit.record("esign.envelope_voided", clock=services.clock, origin=origin, actor=user,
                           using_db=connection, details={"application_id": application.id,
                                                         "envelope_id": envelope.id, "reason": text})
        await _tell_signers(services, envelope, application, "esign_voided", {"reason": text}, connection)
    return EnvelopeOutcome(envelope=envelope)


async def _unsigned(envelope: Envelope, connection: BaseDBAsyncClient) -> EnvelopeDocument:
    """The document as sent (hash and title only: the bytes are not needed here)."""
    return await (EnvelopeDocument.filter(envelope_id=envelope.id, kind=EnvelopeDocumentKind.UNSIGNED)
                  .only("id", "envelope_id", "sha256", "title").using_db(connection).get())


async def _tell_signers(services: Services, envelope: Envelope, application: CreditApplication, template: str,
                        context: dict, connection: BaseDBAsyncClient) -> None:
    """Mail the signers who were sent a link (those still WAITING never heard of the envelope)."""
    dealership = await Dealership.get(id=application.dealership_id).using_db(connection)
    for signer in await Signer.filter(envelope_id=envelope.id).exclude(status=SignerStatus.WAITING) \
            .using_db(connection).order_by("routing_order"):
        await mail.send(services, template, signer.email, {
            "name": signer.name, "dealer": dealership.name, "application_number": application.number, **context,
        }, using_db=connection)


# -- expiry -------------------------------------------------------------------------------------

async def expire_due(services: Services) -> int:
    """End every open envelope whose current signing link ran out; returns how many. Each in its own
    transaction, re-checked under the envelope's lock, so several workers may run it at once."""
    now = services.clock.now()
    due = await (Envelope.filter(status__in=trail.OPEN_STATUSES, expires_at__lte=now).order_by("expires_at", "id")
                 .limit(EXPIRY_BATCH).values_list("id", flat=True))
    expired = 0
    for envelope_id in due:
        async with in_transaction() as connection:
            envelope = await Envelope.filter(id=envelope_id).using_db(connection).select_for_update().first()
            if envelope is None or envelope.status not in trail.OPEN_STATUSES or envelope.expires_at > now:
                continue  # signed, voided or expired meanwhile
            await _expire(services, envelope, connection)
            expired += 1
    return expired


async def _expire(services: Services, envelope: Envelope, connection: BaseDBAsyncClient) -> None:
    application = await CreditApplication.get(id=envelope.application_id).using_db(connection)
    document = await _unsigned(envelope, connection)
    await trail.set_status(services, envelope, application, EnvelopeStatus.EXPIRED, connection)
    await trail.record(services, envelope, trail.EXPIRED, actor=trail.SYSTEM_ACTOR, document_sha256=document.sha256,
                       detail="the current signer did not act within 7 days", using_db=connection)
    await trail.reopen_application(services, application, connection)
    await trail.tell_sender(services, envelope, "esign_expired", {"application_number": application.number},
                            connection)
    log.info("envelope expired", extra={"envelope_id": envelope.id, "application_id": application.id})
