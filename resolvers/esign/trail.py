"""What every envelope step shares: its event row (who, when, from where, the document's hash), the
webhooks of the status changes it causes, the signing links, and the way back to an approved
application when an envelope ends unsigned.

Signing links: 256 random bits, only their SHA-256 kept on the signer row, valid SIGNING_TTL from
when they are mailed. A link is mailed when its signer's turn comes (routing order), and the
envelope expires with the link of the signer whose turn it is: an envelope waits at most
SIGNING_TTL for each signer, and the expiry job ends it when that runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from auth.audit import Origin
from auth.tokens import new_token, token_hash
from documents.pdf import long_date
from mail import notify as mail
from models import CreditApplication, Envelope, EnvelopeEvent, Signer, User
from models.enums import ApplicationStatus, EnvelopeStatus, SignerRole, SignerStatus
from resolvers.esign.terms import latest_approval
from resolvers.webhooks.events import (
    APPLICATION_STATUS_CHANGED,
    ENVELOPE_STATUS_CHANGED,
    application_status_data,
    emit,
    envelope_status_data,
)
from service.container import Services

SIGNING_TTL = timedelta(days=7)
OPEN_STATUSES = (EnvelopeStatus.SENT, EnvelopeStatus.DELIVERED, EnvelopeStatus.PARTIALLY_SIGNED)
SYSTEM_ACTOR = "autofin"
SIGN_PATH = "sign"

# Event actions, as stored and shown.
SENT, DELIVERED, CONSENTED, SIGNED = "sent", "delivered", "consented", "signed"
DECLINED, VOIDED, COMPLETED, EXPIRED = "declined", "voided", "completed", "expired"


def signer_actor(signer: Signer) -> str:
    return f"{signer.name} <{signer.email}>"[:160]


async def record(services: Services, envelope: Envelope, action: str, *, actor: str, document_sha256: str,
                 origin: Origin | None = None, signer: Signer | None = None, detail: str = "",
                 using_db: BaseDBAsyncClient) -> EnvelopeEvent:
    origin = origin or Origin()
    return await EnvelopeEvent.create(
        envelope_id=envelope.id, signer_id=signer.id if signer else None, action=action, actor=actor[:160],
        ip=origin.ip[:45], user_agent=origin.user_agent[:255], document_sha256=document_sha256, detail=detail[:255],
        occurred_at=services.clock.now(), using_db=using_db,
    )


async def set_status(services: Services, envelope: Envelope, application: CreditApplication,
                     status: EnvelopeStatus, using_db: BaseDBAsyncClient, **columns: Any) -> None:
    """Move the envelope to `status` (with any other columns) and tell dealer systems."""
    changed = envelope.status != status
    envelope.status = status
    for name, value in columns.items():
        setattr(envelope, name, value)
    await envelope.save(update_fields=["status", *columns], using_db=using_db)
    if changed:
        await announce(services, envelope, application, using_db)


async def announce(services: Services, envelope: Envelope, application: CreditApplication,
                   using_db: BaseDBAsyncClient) -> None:
    """The "envelope.status_changed" webhook for the envelope's status now."""
    await emit(services, dealership_id=application.dealership_id, event_type=ENVELOPE_STATUS_CHANGED,
               data=envelope_status_data(application.number, envelope), using_db=using_db)


async def set_application_status(services: Services, application: CreditApplication, status: ApplicationStatus,
                                 outcome: Any, using_db: BaseDBAsyncClient) -> None:
    application.status = status
    application.updated_at = services.clock.now()
    await application.save(update_fields=["status", "updated_at"], using_db=using_db)
    await emit(services, dealership_id=application.dealership_id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(application, outcome), using_db=using_db)


async def reopen_application(services: Services, application: CreditApplication, using_db: BaseDBAsyncClient
                             ) -> None:
    """An envelope ended unsigned (voided, declined, expired): the application is approved again, as
    its decision says, so the dealer can correct the deal and send a new contract."""
    if application.status != ApplicationStatus.CONTRACTED:
        return
    decision = await latest_approval(application.id, using_db)
    outcome = decision.outcome if decision is not None else None
    status = ApplicationStatus(outcome.value) if outcome is not None else ApplicationStatus.APPROVED
    await set_application_status(services, application, status, outcome, using_db)


async def send_link(services: Services, envelope: Envelope, signer: Signer, *, dealership_name: str,
                    document_title: str, application_number: str, using_db: BaseDBAsyncClient) -> None:
    """Make the signer's link, keep only its hash, and mail it. The envelope now waits for this signer."""
    token = new_token()
    expires = services.clock.now() + SIGNING_TTL
    signer.token_hash = token_hash(token)
    signer.token_expires_at = expires
    signer.status = SignerStatus.SENT
    await signer.save(update_fields=["token_hash", "token_expires_at", "status"], using_db=using_db)
    envelope.expires_at = expires
    await envelope.save(update_fields=["expires_at"], using_db=using_db)
    await mail.send(services, "esign_sign_request", signer.email, {
        "name": signer.name, "dealer": dealership_name, "document_title": document_title,
        "application_number": application_number, "link": mail.portal_link(services, SIGN_PATH, token=token),
        "expires": _when(expires), "dealer_signer": signer.role == SignerRole.DEALER,
    }, using_db=using_db)


def _when(moment: datetime) -> str:
    return f"{long_date(moment.date())} at {moment.strftime('%H:%M')} UTC"


async def tell_sender(services: Services, envelope: Envelope, template: str, context: dict[str, Any],
                      using_db: BaseDBAsyncClient) -> None:
    """Mail the dealer user who sent the envelope (when still active)."""
    sender = await User.get_or_none(id=envelope.created_by_id).using_db(using_db)
    if sender is not None and sender.is_active:
        await mail.send(services, template, sender.email, {"username": sender.username, **context},
                        using_db=using_db)
