"""Signing from the signer's side, authorized by the emailed link alone: open the envelope, consent
to electronic records (ESIGN Act, 15 U.S.C. 7001(c)), sign by typing one's name, or decline.

Rules:
- A link works for its signer's steps while it is unexpired, its signer has neither signed nor
  declined, and the envelope is open. Once the signer signs or declines, the link is spent; a
  voided, declined, expired or completed envelope answers with what happened to it. Every refusal
  is INVALID_TOKEN (field `token`) and changes nothing.
- Opening records "delivered" the first time (the signer's and, on the first open, the envelope's).
- Consent comes before signing (INVALID otherwise); the typed name must be the signer's name as on
  the contract, ignoring case, accents' composition and spacing (INVALID, field `typedName`).
- A signature hands the envelope to the next signer in routing order (their link is mailed now);
  the last one completes it: the signed PDF (the contract followed by its certificate of
  completion) is stored with its SHA-256, the contract is booked (book_from_envelope, same
  transaction) and every party is mailed. If booking refuses, nothing of the signature is kept.
- Declining needs a reason; the envelope is DECLINED, nothing is booked, and the dealer is told.

Each step locks the envelope row, then re-reads the signer, so two steps on one envelope (a
double-submitted signature, a signature racing a void) happen one after the other.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass

from strawberry.relay import to_base64
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from auth.audit import Origin
from auth.tokens import token_hash
from documents.certificate import Certificate, CertificateEvent, CertificateSigner, signed_document
from mail import notify as mail
from models import CreditApplication, Dealership, Envelope, EnvelopeDocument, EnvelopeEvent, Signer, User
from models.enums import ContractKind, EnvelopeDocumentKind, EnvelopeStatus, SignerRole, SignerStatus
from resolvers.errors import ErrorCode, Problem
from resolvers.esign import trail
from resolvers.origination.funding import BookingError, book_from_envelope
from resolvers.webhooks.events import ENVELOPE_TYPE_NAME
from service.container import Services

log = logging.getLogger("autofin.esign")

MAX_TOKEN_LENGTH = 128
MAX_REASON_LENGTH = 255
MAX_TYPED_NAME_LENGTH = 128
CONSENT_VERSION = "autofin ESIGN consent 2026-11"
CONSENT_TEXT = (
    "Consent to use electronic records and signatures. You agree to receive this contract and the disclosures "
    "about it electronically and to sign it electronically; your electronic signature has the same effect as a "
    "signature on paper. You may instead ask the dealer for a paper contract before you sign, at no charge, and you "
    "may withdraw this consent at any time before you sign by declining. To open and keep the contract you need a "
    "device that displays PDF files and an email address we can reach; you can download the contract from this page "
    "and, once everyone has signed, you will be able to ask the dealer or the lender for a copy of the signed "
    "contract at any time. If your email address changes, tell the dealer."
)
# Documents the signer can be shown: the contract as sent. The signed copy goes to the parties later.
LISTING_FIELDS = ("id", "envelope_id", "kind", "title", "sha256", "size_bytes", "created_at")


@dataclass(frozen=True)
class SigningView:
    """What a signer sees through their link."""

    signer: Signer
    envelope: Envelope
    application_number: str
    product: ContractKind
    dealership_name: str
    document: EnvelopeDocument  # the contract as sent (without its bytes)
    signers: tuple[Signer, ...]


@dataclass(frozen=True)
class SigningOutcome:
    problems: tuple[Problem, ...] = ()
    view: SigningView | None = None


class _Refused(Exception):
    """Raised inside a transaction to roll everything back and answer with `problem`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _fail(problem: Problem) -> SigningOutcome:
    return SigningOutcome(problems=(problem,))


def _invalid_link(message: str) -> Problem:
    return Problem(ErrorCode.INVALID_TOKEN, message, ("token",))


UNKNOWN_LINK = _invalid_link("This signing link is not valid. Use the latest link emailed to you.")
ENDED = {
    EnvelopeStatus.VOIDED: "The dealer voided this contract: the link no longer works.",
    EnvelopeStatus.DECLINED: "This contract was declined by a signer: the link no longer works.",
    EnvelopeStatus.EXPIRED: "This signing link has expired. Ask the dealer to send the contract again.",
    EnvelopeStatus.COMPLETED: "Everyone has signed this contract: the link no longer works.",
}


def normalized_name(name: str) -> str:
    """Names compared as people type them: composed, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# -- finding the signer behind a link ------------------------------------------------------------

async def _locked(token: str | None, connection: BaseDBAsyncClient) -> tuple[Signer, Envelope] | Problem:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return UNKNOWN_LINK
    found = await Signer.filter(token_hash=token_hash(token)).using_db(connection).only("id", "envelope_id").first()
    if found is None:
        return UNKNOWN_LINK
    envelope = await Envelope.filter(id=found.envelope_id).using_db(connection).select_for_update().get()
    signer = await Signer.filter(id=found.id).using_db(connection).select_for_update().get()
    return signer, envelope


def link_problem(services: Services, signer: Signer, envelope: Envelope) -> Problem | None:
    if signer.status == SignerStatus.SIGNED:
        return _invalid_link("You have already signed this contract: this link was used.")
    if signer.status == SignerStatus.DECLINED:
        return _invalid_link("You declined this contract: this link was used.")
    if envelope.status in ENDED:
        return _invalid_link(ENDED[envelope.status])
    now = services.clock.now()
    if signer.token_expires_at is None or signer.token_expires_at <= now or envelope.expires_at <= now:
        return _invalid_link(ENDED[EnvelopeStatus.EXPIRED])
    if signer.status == SignerStatus.WAITING:  # a link is only made when the turn comes; kept as a guard
        return _invalid_link("It is not your turn to sign yet.")
    return None


async def _step(services: Services, token: str | None, connection: BaseDBAsyncClient
                ) -> tuple[Signer, Envelope, CreditApplication, EnvelopeDocument] | Problem:
    """The signer and envelope behind a usable link, locked, with the application and the document."""
    found = await _locked(token, connection)
    if isinstance(found, Problem):
        return found
    signer, envelope = found
    problem = link_problem(services, signer, envelope)
    if problem is not None:
        return problem
    if signer.user_id is not None and not await User.filter(id=signer.user_id, is_active=True).using_db(connection) \
            .exists():
        # The dealer user who would sign for the dealership was deactivated since sending.
        return _invalid_link("The dealer account this link was sent to is no longer active: the dealership must "
                             "void the contract and send it again.")
    application = await CreditApplication.get(id=envelope.application_id).using_db(connection)
    document = await (EnvelopeDocument.filter(envelope_id=envelope.id, kind=EnvelopeDocumentKind.UNSIGNED)
                      .only(*LISTING_FIELDS).using_db(connection).get())
    return signer, envelope, application, document


async def _view(signer: Signer, envelope: Envelope, application: CreditApplication, document: EnvelopeDocument,
                connection: BaseDBAsyncClient) -> SigningView:
    dealership = await Dealership.get(id=application.dealership_id).using_db(connection)
    signers = await Signer.filter(envelope_id=envelope.id).using_db(connection).order_by("routing_order")
    return SigningView(signer=signer, envelope=envelope, application_number=application.number,
                       product=application.product, dealership_name=dealership.name, document=document,
                       signers=tuple(signers))


async def _delivered(services: Services, origin: Origin, signer: Signer, envelope: Envelope,
                     application: CreditApplication, document: EnvelopeDocument,
                     connection: BaseDBAsyncClient) -> None:
    """The first open of a link: the signer (and, the first time for anyone, the envelope) is DELIVERED."""
    if signer.status != SignerStatus.SENT:
        return
    signer.status = SignerStatus.DELIVERED
    await signer.save(update_fields=["status"], using_db=connection)
    await trail.record(services, envelope, trail.DELIVERED, actor=trail.signer_actor(signer), origin=origin,
                       document_sha256=document.sha256, signer=signer, using_db=connection)
    if envelope.status == EnvelopeStatus.SENT:
        await trail.set_status(services, envelope, application, EnvelopeStatus.DELIVERED, connection)


# -- the steps ----------------------------------------------------------------------------------

async def open_session(services: Services, *, token: str | None, origin: Origin) -> SigningOutcome:
    """What the link shows; the first open records delivery."""
    async with in_transaction() as connection:
        found = await _step(services, token, connection)
        if isinstance(found, Problem):
            return _fail(found)
        signer, envelope, application, document = found
        await _delivered(services, origin, signer, envelope, application, document, connection)
        return SigningOutcome(view=await _view(signer, envelope, application, document, connection))


async def consent(services: Services, *, token: str | None, origin: Origin) -> SigningOutcome:
    """Consent to electronic records and signatures (once; again is a no-op)."""
    async with in_transaction() as connection:
        found = await _step(services, token, connection)
        if isinstance(found, Problem):
            return _fail(found)
        signer, envelope, application, document = found
        await _delivered(services, origin, signer, envelope, application, document, connection)
        if signer.status != SignerStatus.CONSENTED:
            signer.status = SignerStatus.CONSENTED
            signer.consented_at = services.clock.now()
            await signer.save(update_fields=["status", "consented_at"], using_db=connection)
            await trail.record(services, envelope, trail.CONSENTED, actor=trail.signer_actor(signer), origin=origin,
                               document_sha256=document.sha256, signer=signer, detail=CONSENT_VERSION,
                               using_db=connection)
        return SigningOutcome(view=await _view(signer, envelope, application, document, connection))


async def sign(services: Services, *, token: str | None, typed_name: str | None, origin: Origin) -> SigningOutcome:
    typed = " ".join((typed_name or "").split())
    if not typed or len(typed) > MAX_TYPED_NAME_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, "Type your full name to sign.", ("typedName",)))
    try:
        async with in_transaction() as connection:
            found = await _step(services, token, connection)
            if isinstance(found, Problem):
                return _fail(found)
            signer, envelope, application, document = found
            if signer.status != SignerStatus.CONSENTED:
                return _fail(Problem(ErrorCode.INVALID, "Consent to electronic records and signatures before "
                                     "signing.", ("token",)))
            if normalized_name(typed) != normalized_name(signer.name):
                return _fail(Problem(ErrorCode.INVALID, f"Type the name exactly as it appears on the contract: "
                                     f"{signer.name}.", ("typedName",)))
            await _signed(services, origin, signer, envelope, application, document, typed, connection)
            return SigningOutcome(view=await _view(signer, envelope, application, document, connection))
    except _Refused as refused:
        return _fail(refused.problem)


async def _signed(services: Services, origin: Origin, signer: Signer, envelope: Envelope,
                  application: CreditApplication, document: EnvelopeDocument, typed: str,
                  connection: BaseDBAsyncClient) -> None:
    signer.status = SignerStatus.SIGNED
    signer.signed_at = services.clock.now()
    signer.typed_name = typed
    await signer.save(update_fields=["status", "signed_at", "typed_name"], using_db=connection)
    await trail.record(services, envelope, trail.SIGNED, actor=trail.signer_actor(signer), origin=origin,
                       document_sha256=document.sha256, signer=signer, detail=f'typed name "{typed}"',
                       using_db=connection)
    following = await (Signer.filter(envelope_id=envelope.id, routing_order__gt=signer.routing_order)
                       .using_db(connection).order_by("routing_order").first())
    if following is None:
        await _complete(services, envelope, application, document, connection)
        return
    dealership = await Dealership.get(id=application.dealership_id).using_db(connection)
    await trail.send_link(services, envelope, following, dealership_name=dealership.name,
                          document_title=document.title, application_number=application.number, using_db=connection)
    await trail.set_status(services, envelope, application, EnvelopeStatus.PARTIALLY_SIGNED, connection)


async def decline(services: Services, *, token: str | None, reason: str | None, origin: Origin) -> SigningOutcome:
    text = " ".join((reason or "").split())
    if not text or len(text) > MAX_REASON_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, f"Say why you decline (1 to {MAX_REASON_LENGTH} characters); the "
                             "dealer sees it.", ("reason",)))
    async with in_transaction() as connection:
        found = await _step(services, token, connection)
        if isinstance(found, Problem):
            return _fail(found)
        signer, envelope, application, document = found
        now = services.clock.now()
        signer.status = SignerStatus.DECLINED
        signer.declined_at = now
        signer.decline_reason = text
        await signer.save(update_fields=["status", "declined_at", "decline_reason"], using_db=connection)
        await trail.record(services, envelope, trail.DECLINED, actor=trail.signer_actor(signer), origin=origin,
                           document_sha256=document.sha256, signer=signer, detail=text, using_db=connection)
        await trail.set_status(services, envelope, application, EnvelopeStatus.DECLINED, connection)
        await trail.reopen_application(services, application, connection)
        await trail.tell_sender(services, envelope, "esign_declined", {
            "application_number": application.number, "signer": signer.name, "reason": text,
        }, connection)
        return SigningOutcome(view=await _view(signer, envelope, application, document, connection))


# -- completion ---------------------------------------------------------------------------------

ROLE_LABELS = {
    ContractKind.LOAN: {SignerRole.APPLICANT: "Buyer", SignerRole.CO_APPLICANT: "Co-buyer",
                        SignerRole.DEALER: "Seller"},
    ContractKind.LEASE: {SignerRole.APPLICANT: "Lessee", SignerRole.CO_APPLICANT: "Co-lessee",
                         SignerRole.DEALER: "Lessor"},
}


async def _complete(services: Services, envelope: Envelope, application: CreditApplication,
                    listed: EnvelopeDocument, connection: BaseDBAsyncClient) -> None:
    """Everyone signed: COMPLETED, the signed copy with its certificate, the booking, the mail."""
    now = services.clock.now()
    await trail.set_status(services, envelope, application, EnvelopeStatus.COMPLETED, connection, completed_at=now)
    await trail.record(services, envelope, trail.COMPLETED, actor=trail.SYSTEM_ACTOR, document_sha256=listed.sha256,
                       detail="every signer signed", using_db=connection)
    original = await EnvelopeDocument.get(id=listed.id).using_db(connection)
    signed = signed_document(bytes(original.content), await _certificate(envelope, application, original,
                                                                         connection))
    await EnvelopeDocument.create(envelope_id=envelope.id, kind=EnvelopeDocumentKind.SIGNED,
                                  title=f"{original.title} (signed)", content=signed,
                                  sha256=hashlib.sha256(signed).hexdigest(), size_bytes=len(signed), created_at=now,
                                  using_db=connection)
    try:
        await book_from_envelope(services, envelope, using_db=connection)
    except BookingError as exc:
        log.error("signed envelope could not be booked", extra={"envelope_id": envelope.id, "problem": str(exc)})
        raise _Refused(Problem(ErrorCode.CONFLICT, "Your signature could not be completed because the contract "
                               "cannot be booked; the dealer has to look at it. Nothing was signed.",
                               ("token",))) from exc
    for signer in await Signer.filter(envelope_id=envelope.id).using_db(connection).order_by("routing_order"):
        await mail.send(services, "esign_completed", signer.email, {
            "name": signer.name, "application_number": application.number, "document_title": original.title,
            "link": mail.portal_link(services, "contracts"),
        }, using_db=connection)


async def _certificate(envelope: Envelope, application: CreditApplication, document: EnvelopeDocument,
                       connection: BaseDBAsyncClient) -> Certificate:
    signers = await Signer.filter(envelope_id=envelope.id).using_db(connection).order_by("routing_order")
    events = await EnvelopeEvent.filter(envelope_id=envelope.id).using_db(connection).order_by("id")
    signed_events = {e.signer_id: e for e in events if e.action == trail.SIGNED}
    labels = ROLE_LABELS[application.product]
    return Certificate(
        envelope_reference=to_base64(ENVELOPE_TYPE_NAME, envelope.id), application_number=application.number,
        document_title=document.title, document_sha256=document.sha256, document_size=document.size_bytes,
        sent_at=envelope.created_at, completed_at=envelope.completed_at, consent_version=CONSENT_VERSION,
        signers=tuple(
            CertificateSigner(routing_order=s.routing_order, role=labels[s.role], name=s.name, email=s.email,
                              typed_name=s.typed_name, consented_at=s.consented_at, signed_at=s.signed_at,
                              ip=signed_events[s.id].ip if s.id in signed_events else "",
                              user_agent=signed_events[s.id].user_agent if s.id in signed_events else "")
            for s in signers),
        events=tuple(CertificateEvent(occurred_at=e.occurred_at, action=e.action, actor=e.actor, ip=e.ip,
                                      user_agent=e.user_agent, document_sha256=e.document_sha256, detail=e.detail)
                     for e in events),
    )
