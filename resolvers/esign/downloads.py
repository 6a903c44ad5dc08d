"""Envelope documents behind short-lived signed links, checked against their SHA-256 on every download.

A link names the document, its expiry and its party (`u<user id>` for a user of the API, `s<signer
id>` for a signer who has only their emailed link), bound together by an HMAC
(settings.secret_key), and lasts DOWNLOAD_TTL. The route re-checks the party at download time:
- a user: the document's application must still be visible to them (their dealership's, or an
  underwriter's: resolvers/origination/visibility.py); a customer: only the signed copy of a
  completed envelope they signed (signed_copies_of);
- a signer: only the contract as sent, and only while their signing link still works (unexpired,
  not yet used, envelope open).
Any failure of the link or the party is the same "not found".

Integrity: the stored bytes are hashed again and compared with the SHA-256 recorded when the
document was made (and, for the contract as sent, with the hash its "sent" event recorded, so
editing both the bytes and the document row is caught too). A mismatch refuses the download and is
logged as an error: a tampered contract is never served as the signed one.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from auth.tokens import hashes_match, keyed_digest
from documents.contract_pdf import contract_filename
from models import CreditApplication, Envelope, EnvelopeDocument, EnvelopeEvent, Signer, User
from models.enums import EnvelopeDocumentKind, EnvelopeStatus, Role
from resolvers.esign import trail
from resolvers.esign.envelopes import envelopes_visible_to
from resolvers.esign.signing import link_problem
from service.container import Services

log = logging.getLogger("autofin.esign")

DOWNLOAD_TTL = timedelta(minutes=5)
SIGNATURE_PURPOSE = "envelope-document"
ROUTE_PREFIX = "/envelope-documents"
USER, SIGNER = "u", "s"


@dataclass(frozen=True)
class Download:
    document: EnvelopeDocument
    filename: str
    intact: bool  # False: the stored bytes no longer match their recorded SHA-256


def _signature(services: Services, document_id: int, expires: int, party: str) -> str:
    return keyed_digest(services.settings.secret_key, SIGNATURE_PURPOSE, f"{document_id}:{expires}:{party}")


def _path(services: Services, document_id: int, party: str) -> str:
    expires = int((services.clock.now() + DOWNLOAD_TTL).timestamp())
    signature = _signature(services, document_id, expires, party)
    return f"{ROUTE_PREFIX}/{document_id}?expires={expires}&party={party}&signature={signature}"


def user_download_path(services: Services, document_id: int, user_id: int) -> str:
    """A link for a signed-in user who can see the envelope (checked again at download)."""
    return _path(services, document_id, f"{USER}{user_id}")


def signer_download_path(services: Services, document_id: int, signer_id: int) -> str:
    """A link for a signer, valid while their signing link is (checked again at download)."""
    return _path(services, document_id, f"{SIGNER}{signer_id}")


def _genuine(services: Services, document_id: str, expires: str, party: str, signature: str) -> bool:
    if not (document_id.isdigit() and expires.isdigit()) or len(document_id) > 18 or len(expires) > 12:
        return False
    if len(party) < 2 or len(party) > 19 or party[0] not in (USER, SIGNER) or not party[1:].isdigit():
        return False
    if len(signature) != 64 or not signature.isascii():
        return False
    now = int(services.clock.now().timestamp())
    if not now <= int(expires) <= now + int(DOWNLOAD_TTL.total_seconds()):
        return False
    return hashes_match(_signature(services, int(document_id), int(expires), party), signature.lower())


def signed_copies_of(user: User | None) -> QuerySet[EnvelopeDocument]:
    """A customer's signed contracts: the SIGNED copy of every completed envelope they signed."""
    if user is None or not user.is_active or user.role != Role.CUSTOMER or user.customer_id is None:
        return EnvelopeDocument.filter(id__in=[])
    signed = Signer.filter(customer_id=user.customer_id).values("envelope_id")
    return EnvelopeDocument.filter(kind=EnvelopeDocumentKind.SIGNED, envelope__status=EnvelopeStatus.COMPLETED,
                                   envelope_id__in=Subquery(signed))


def documents_visible_to(user: User | None) -> QuerySet[EnvelopeDocument]:
    """Customers: their signed copies. Everyone else: the documents of the envelopes they may see."""
    if user is not None and user.role == Role.CUSTOMER:
        return signed_copies_of(user)
    return EnvelopeDocument.filter(envelope_id__in=Subquery(envelopes_visible_to(user).values("id")))


async def _user_may(user_id: int, document: EnvelopeDocument) -> bool:
    user = await User.get_or_none(id=user_id)
    return user is not None and await documents_visible_to(user).filter(id=document.id).exists()


async def _signer_may(services: Services, signer_id: int, document: EnvelopeDocument) -> bool:
    if document.kind != EnvelopeDocumentKind.UNSIGNED:
        return False
    signer = await Signer.get_or_none(id=signer_id, envelope_id=document.envelope_id)
    if signer is None:
        return False
    envelope = await Envelope.get(id=signer.envelope_id)
    return link_problem(services, signer, envelope) is None


async def _expected_hashes(document: EnvelopeDocument) -> set[str]:
    """What the bytes must hash to: the recorded hash, and for the contract as sent also the hash
    its "sent" event recorded when the envelope went out."""
    expected = {document.sha256}
    if document.kind == EnvelopeDocumentKind.UNSIGNED:
        sent = await EnvelopeEvent.filter(envelope_id=document.envelope_id, action=trail.SENT).order_by("id").first()
        if sent is not None:
            expected.add(sent.document_sha256)
    return expected


async def document_for_link(services: Services, document_id: str, expires: str, party: str,
                            signature: str) -> Download | None:
    """The document of a genuine, unexpired link whose party may still have it; None otherwise."""
    if not _genuine(services, document_id, expires, party, signature):
        return None
    document = await EnvelopeDocument.get_or_none(id=int(document_id))
    if document is None:
        return None
    allowed = (await _user_may(int(party[1:]), document) if party[0] == USER
               else await _signer_may(services, int(party[1:]), document))
    if not allowed:
        return None
    envelope = await Envelope.get(id=document.envelope_id)
    application = await CreditApplication.filter(id=envelope.application_id).only("id", "number").first()
    filename = contract_filename(application.number if application else "contract",
                                 signed=document.kind == EnvelopeDocumentKind.SIGNED)
    actual = hashlib.sha256(bytes(document.content)).hexdigest()
    expected = await _expected_hashes(document)
    if expected != {actual}:
        log.error("envelope document failed its integrity check", extra={
            "document_id": document.id, "envelope_id": document.envelope_id, "kind": document.kind.value,
            "recorded_sha256": document.sha256, "actual_sha256": actual,
        })
        return Download(document=document, filename=filename, intact=False)
    return Download(document=document, filename=filename, intact=True)
