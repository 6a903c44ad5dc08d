"""E-signature in the schema: the Envelope node (on a CreditApplication), the dealer's mutations
(send a contract, void an envelope) and the signer's operations, which are open to everyone and
authorized by the emailed link's token alone. Thin: the rules are in resolvers/esign/."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import CUSTOMERS, DEALERS, EVERYONE
from graph.access import allow
from graph.enums import ContractKind
from graph.errors import UserError, user_errors
from graph.esign_loaders import DOCUMENT_LISTING
from graph.ids import row_id
from graph.nodes import visible_nodes
from graph.pagination import PAGE_ARGS_DESCRIPTION, CountedConnection, Ordering, paginate
from models import Envelope, EnvelopeDocument, EnvelopeEvent, Signer
from models import enums as model_enums
from resolvers.errors import ClientFacingError
from resolvers.esign import downloads, envelopes, signing
from resolvers.masking import mask_email
from resolvers.origination.visibility import applications_visible_to
from resolvers.webhooks.events import ENVELOPE_TYPE_NAME

if TYPE_CHECKING:
    from graph.origination.types import CreditApplicationType

APPLICATION_TYPE_NAME = "CreditApplication"
LazyApplication = Annotated["CreditApplicationType", strawberry.lazy("graph.origination.types")]

EnvelopeStatusEnum = strawberry.enum(
    model_enums.EnvelopeStatus, name="EnvelopeStatus",
    description="SENT: the first signer has the link. DELIVERED: a signer opened it. PARTIALLY_SIGNED: signed by the "
    "first signers in routing order, the next one has the link. COMPLETED: signed by everyone (the signed copy is "
    "stored and the contract booked). DECLINED: a signer declined. VOIDED: the dealer withdrew it. EXPIRED: the "
    "current signer did not act within 7 days.",
)
SignerStatusEnum = strawberry.enum(
    model_enums.SignerStatus, name="SignerStatus",
    description="WAITING: an earlier signer has not signed yet (no link yet). SENT: the link is mailed. DELIVERED: "
    "the link was opened. CONSENTED: consented to electronic records. SIGNED. DECLINED.",
)
SignerRoleEnum = strawberry.enum(
    model_enums.SignerRole, name="SignerRole",
    description="APPLICANT and CO_APPLICANT: the customers (buyer or lessee). DEALER: the dealership, signed for by "
    "the dealer user who sent the contract.",
)
EnvelopeDocumentKindEnum = strawberry.enum(
    model_enums.EnvelopeDocumentKind, name="EnvelopeDocumentKind",
    description="UNSIGNED: the contract as sent, the bytes every signer reviewed. SIGNED: the same bytes followed by "
    "the certificate of completion (a PDF incremental update), made when everyone signed.",
)

_EMAIL_IN_ACTOR = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


# -- the envelope as the dealer sees it ------------------------------------------------------------

@strawberry.type(name="EnvelopeSigner", description="One signer of an envelope, in routing order.")
class EnvelopeSignerType:
    routing_order: int = strawberry.field(description="1 signs first; each next signer gets the link when the "
                                          "previous one signs.")
    role: SignerRoleEnum = strawberry.field(description="Who this signer is on the contract.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The name as printed on the contract (what the signer must type).")
    masked_email: str = strawberry.field(description="Where the link went, mostly hidden (e.g. a***@example.com).")
    status: SignerStatusEnum = strawberry.field(description="Where this signer is.")  # type: ignore[valid-type]
    link_expires_at: datetime | None = strawberry.field(description="When this signer's link stops working; null "
                                                        "before it is sent.")
    consented_at: datetime | None = strawberry.field(description="When they consented to electronic records.")
    signed_at: datetime | None = strawberry.field(description="When they signed.")
    declined_at: datetime | None = strawberry.field(description="When they declined.")
    decline_reason: str = strawberry.field(description="Why they declined (empty otherwise).")

    @classmethod
    def from_model(cls, row: Signer) -> EnvelopeSignerType:
        return cls(routing_order=row.routing_order, role=row.role, name=row.name, masked_email=mask_email(row.email),
                   status=row.status, link_expires_at=row.token_expires_at, consented_at=row.consented_at,
                   signed_at=row.signed_at, declined_at=row.declined_at, decline_reason=row.decline_reason)


@strawberry.type(name="EnvelopeEvent", description="One step of an envelope, as recorded (the ESIGN audit trail).")
class EnvelopeEventType:
    action: str = strawberry.field(description="sent, delivered, consented, signed, declined, voided, completed or "
                                   "expired.")
    actor: str = strawberry.field(description="Who: the signer (name, masked email), the dealer user's username, or "
                                  "autofin for the system.")
    ip: str = strawberry.field(description="The IP address the step came from (empty for the system).")
    user_agent: str = strawberry.field(description="The device's user agent (empty for the system).")
    document_sha256: str = strawberry.field(description="SHA-256 of the contract as sent, at this step.")
    detail: str = strawberry.field(description="More about the step: the typed name, a reason, the consent text "
                                   "version.")
    occurred_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_model(cls, row: EnvelopeEvent) -> EnvelopeEventType:
        actor = _EMAIL_IN_ACTOR.sub(lambda m: f"<{mask_email(m.group(1))}>", row.actor)
        return cls(action=row.action, actor=actor, ip=row.ip, user_agent=row.user_agent,
                   document_sha256=row.document_sha256, detail=row.detail, occurred_at=row.occurred_at)


@strawberry.type(name="EnvelopeDocument", description="A PDF of an envelope, kept with its SHA-256.")
class EnvelopeDocumentType(relay.Node):
    id: relay.NodeID[int]
    kind: EnvelopeDocumentKindEnum = strawberry.field(description="Which copy.")  # type: ignore[valid-type]
    title: str = strawberry.field(description="The document's title.")
    sha256: str = strawberry.field(description="SHA-256 of the PDF bytes (hex); every download is checked against it.")
    size_bytes: int = strawberry.field(description="Size of the PDF in bytes.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    row: strawberry.Private[EnvelopeDocument]

    @classmethod
    def from_model(cls, row: EnvelopeDocument) -> EnvelopeDocumentType:
        return cls(id=row.id, kind=row.kind, title=row.title, sha256=row.sha256, size_bytes=row.size_bytes,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        visible = downloads.documents_visible_to(info.context.user).only(*DOCUMENT_LISTING)
        return await visible_nodes(visible, node_ids, cls.from_model, required)

    @strawberry.field(description="A link to download the PDF (GET, relative to the API's origin), for you only, "
                      "valid 5 minutes and only while you may still see the document. A copy whose bytes no longer "
                      "match its SHA-256 is refused (HTTP 409).")
    def download_url(self, info: Info) -> str:
        return downloads.user_download_path(info.context.services, self.row.id, info.context.user.id)


@strawberry.type(name=ENVELOPE_TYPE_NAME, description="A contract sent for e-signature: its document, its signers in "
                 "routing order and every step they took.")
class EnvelopeType(relay.Node):
    id: relay.NodeID[int]
    status: EnvelopeStatusEnum = strawberry.field(description="Where the envelope is.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it was sent.")
    expires_at: datetime = strawberry.field(description="When it expires unless the current signer acts (7 days "
                                            "after their link was sent).")
    completed_at: datetime | None = strawberry.field(description="When the last signer signed.")
    voided_at: datetime | None = strawberry.field(description="When the dealer voided it.")
    void_reason: str = strawberry.field(description="Why the dealer voided it (empty otherwise).")
    row: strawberry.Private[Envelope]

    @classmethod
    def from_model(cls, row: Envelope) -> EnvelopeType:
        return cls(id=row.id, status=row.status, created_at=row.created_at, expires_at=row.expires_at,
                   completed_at=row.completed_at, voided_at=row.voided_at, void_reason=row.void_reason, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(envelopes.envelopes_visible_to(info.context.user), node_ids, cls.from_model,
                                   required)

    @strawberry.field(description="The application this envelope contracts.")
    async def application(self, info: Info) -> LazyApplication:
        from graph.origination.types import CreditApplicationType

        row = await applications_visible_to(info.context.user).filter(id=self.row.application_id).get()
        return CreditApplicationType.from_model(row)

    @strawberry.field(description="The signers in routing order (at most three).")
    async def signers(self, info: Info) -> list[EnvelopeSignerType]:
        rows = await info.context.loaders.esign.signers.load(self.row.id)
        return [EnvelopeSignerType.from_model(row) for row in rows]

    @strawberry.field(description="Every step, oldest first (a few per signer: sent, delivered, consented, signed).")
    async def events(self, info: Info) -> list[EnvelopeEventType]:
        rows = await info.context.loaders.esign.events.load(self.row.id)
        return [EnvelopeEventType.from_model(row) for row in rows]

    @strawberry.field(description="The contract as sent and, once completed, the signed copy with its certificate.")
    async def documents(self, info: Info) -> list[EnvelopeDocumentType]:
        rows = await info.context.loaders.esign.documents.load(self.row.id)
        return [EnvelopeDocumentType.from_model(row) for row in rows]


async def application_envelopes(info: Info, application_id: int) -> list[EnvelopeType]:
    """The envelopes of an application the caller can already see, newest first."""
    return [EnvelopeType.from_model(row) for row in await info.context.loaders.esign.envelopes.load(application_id)]


# -- the signer's view -------------------------------------------------------------------------------

@strawberry.type(name="SigningParty", description="A signer of the envelope, as the other signers see them.")
class SigningPartyType:
    routing_order: int = strawberry.field(description="Signing order, from 1.")
    role: SignerRoleEnum = strawberry.field(description="Who this signer is on the contract.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="The name as printed on the contract.")
    status: SignerStatusEnum = strawberry.field(description="Where this signer is.")  # type: ignore[valid-type]


@strawberry.type(name="SigningSession", description="What a signing link shows its signer: the contract to review, "
                 "the consent to give and where they are.")
class SigningSessionType:
    envelope_id: strawberry.ID = strawberry.field(description="The envelope's global id (for reference).")
    envelope_status: EnvelopeStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where the envelope is.")
    application_number: str = strawberry.field(description="The contract's reference number.")
    product: ContractKind = strawberry.field(description="LOAN (retail installment sale) or LEASE.")  # type: ignore[valid-type]
    dealership_name: str = strawberry.field(description="The dealership that sent the contract.")
    document_title: str = strawberry.field(description="The contract's title.")
    document_sha256: str = strawberry.field(description="SHA-256 of the contract PDF: what you sign is exactly these "
                                            "bytes.")
    document_size_bytes: int = strawberry.field(description="Size of the contract PDF in bytes.")
    document_url: str = strawberry.field(description="A link to download the contract PDF to review it (GET, "
                                         "relative to the API's origin), valid 5 minutes and while your signing "
                                         "link works.")
    signer_name: str = strawberry.field(description="Your name as printed on the contract: type it to sign.")
    signer_role: SignerRoleEnum = strawberry.field(description="Your role.")  # type: ignore[valid-type]
    signer_status: SignerStatusEnum = strawberry.field(description="Where you are.")  # type: ignore[valid-type]
    consented_at: datetime | None = strawberry.field(description="When you consented; null until you do.")
    signed_at: datetime | None = strawberry.field(description="When you signed; null until you do.")
    link_expires_at: datetime = strawberry.field(description="When your link stops working.")
    consent_text: str = strawberry.field(description="The consent to electronic records and signatures (ESIGN Act) "
                                         "that `consentToElectronicRecords` gives.")
    consent_version: str = strawberry.field(description="The version of that text, recorded with your consent.")
    parties: list[SigningPartyType] = strawberry.field(description="Every signer in routing order.")

    @classmethod
    def from_view(cls, info: Info, view: signing.SigningView) -> SigningSessionType:
        signer, envelope, document = view.signer, view.envelope, view.document
        return cls(
            envelope_id=strawberry.ID(relay.to_base64(ENVELOPE_TYPE_NAME, envelope.id)),
            envelope_status=envelope.status, application_number=view.application_number, product=view.product,
            dealership_name=view.dealership_name, document_title=document.title, document_sha256=document.sha256,
            document_size_bytes=document.size_bytes,
            document_url=downloads.signer_download_path(info.context.services, document.id, signer.id),
            signer_name=signer.name, signer_role=signer.role, signer_status=signer.status,
            consented_at=signer.consented_at, signed_at=signer.signed_at, link_expires_at=signer.token_expires_at,
            consent_text=signing.CONSENT_TEXT, consent_version=signing.CONSENT_VERSION,
            parties=[SigningPartyType(routing_order=s.routing_order, role=s.role, name=s.name, status=s.status)
                     for s in view.signers],
        )


TOKEN_DESCRIPTION = "The `token` of the signing link emailed to you."
NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))


@strawberry.type(name="EnvelopeDocumentConnection", description="A page of envelope documents, newest first.")
class EnvelopeDocumentConnection(CountedConnection[EnvelopeDocumentType]):
    pass


@strawberry.type
class EsignQuery:
    @strawberry.field(
        extensions=[allow(EVERYONE)],
        description="Open a signing link: the contract to review (its hash and a download link), the consent text and "
        "where you are. No sign-in: the link's token is the authorization. The first open records delivery. A "
        "link that is unknown, expired, already used (you signed or declined), or whose envelope was voided, "
        "declined or completed is an INVALID_TOKEN error saying which.",
    )
    async def signing_session(self, info: Info,
                              token: Annotated[str, strawberry.argument(description=TOKEN_DESCRIPTION)]
                              ) -> SigningSessionType:
        outcome = await signing.open_session(info.context.services, token=token, origin=info.context.origin)
        if outcome.problems:
            problem = outcome.problems[0]
            raise ClientFacingError(problem.code, problem.message)
        return SigningSessionType.from_view(info, outcome.view)

    @strawberry.field(
        extensions=[allow(CUSTOMERS)],
        description="Your signed contracts: the signed copy (contract and certificate of completion) of every "
        f"contract you signed electronically once everyone signed, newest first. {PAGE_ARGS_DESCRIPTION}",
    )
    async def signed_contracts(self, info: Info, first: int | None = None, after: str | None = None,
                               last: int | None = None, before: str | None = None) -> EnvelopeDocumentConnection:
        queryset = downloads.signed_copies_of(info.context.user).only(*DOCUMENT_LISTING)
        return await paginate(EnvelopeDocumentConnection, queryset, NEWEST_FIRST, EnvelopeDocumentType.from_model,
                              first=first, after=after, last=last, before=before)


# -- mutations ---------------------------------------------------------------------------------------

@strawberry.input(description="Send an approved application's contract for e-signature.")
class SendContractForSignatureInput:
    application_id: strawberry.ID = strawberry.field(description="The `id` of an approved application of your "
                                                     "dealership.")


@strawberry.input(description="Withdraw a contract out for signature.")
class VoidEnvelopeInput:
    envelope_id: strawberry.ID = strawberry.field(description="The `id` of an open envelope of your dealership.")
    reason: str = strawberry.field(description="Why (1–255 characters; the signers who had a link see it).")


@strawberry.type(description="Result of sendContractForSignature or voidEnvelope.")
class EnvelopePayload:
    envelope: EnvelopeType | None = strawberry.field(description="The envelope; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND for an application or envelope that is not your dealership's; CONFLICT for an "
        "application that is not approved, already out for signature, or whose structure is beyond its approval, "
        "and for an envelope that is no longer open; INVALID for a missing reason or a structure that cannot be "
        "contracted. Empty on success."
    )


@strawberry.input(description="A signer's consent, authorized by their link.")
class ConsentToElectronicRecordsInput:
    token: str = strawberry.field(description=TOKEN_DESCRIPTION)


@strawberry.input(description="A signature: the signer types their name.")
class SignEnvelopeInput:
    token: str = strawberry.field(description=TOKEN_DESCRIPTION)
    typed_name: str = strawberry.field(description="Your name exactly as on the contract (`signingSession."
                                       "signerName`; case and spacing do not matter).")


@strawberry.input(description="Declining to sign, with the reason.")
class DeclineEnvelopeInput:
    token: str = strawberry.field(description=TOKEN_DESCRIPTION)
    reason: str = strawberry.field(description="Why you decline (1–255 characters; the dealer sees it).")


@strawberry.type(description="Result of a signer's step.")
class SigningPayload:
    session: SigningSessionType | None = strawberry.field(description="Where you are now; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN (field `token`) for a link that is unknown, expired, already used, or whose "
        "envelope ended; INVALID for signing before consenting, a typed name that is not yours, or a missing "
        "reason; CONFLICT when the completed contract could not be booked (nothing was signed). Empty on success."
    )


def _envelope_payload(outcome: envelopes.EnvelopeOutcome) -> EnvelopePayload:
    if outcome.problems:
        return EnvelopePayload(envelope=None, errors=user_errors(list(outcome.problems)))
    return EnvelopePayload(envelope=EnvelopeType.from_model(outcome.envelope), errors=[])


def _signing_payload(info: Info, outcome: signing.SigningOutcome) -> SigningPayload:
    if outcome.problems:
        return SigningPayload(session=None, errors=user_errors(list(outcome.problems)))
    return SigningPayload(session=SigningSessionType.from_view(info, outcome.view), errors=[])


@strawberry.type
class EsignMutations:
    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Send the contract of an APPROVED or APPROVED_WITH_CONDITIONS application for e-signature: the "
        "contract PDF (retail installment sale contract with its Truth in Lending box, or lease with its Regulation "
        "M disclosures) is made from the approved terms and stored with its SHA-256; the signers are the applicant, "
        "the co-applicant and your dealership (signed by you), in that order. The first signer is emailed a link "
        "valid 7 days; the application becomes CONTRACTED. Audited.",
    )
    async def send_contract_for_signature(self, info: Info, input: SendContractForSignatureInput) -> EnvelopePayload:
        ctx = info.context
        outcome = await envelopes.send(ctx.services, user=ctx.user, origin=ctx.origin,
                                       application_id=row_id(input.application_id, APPLICATION_TYPE_NAME))
        return _envelope_payload(outcome)

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Void an open envelope of your dealership, with a reason: every signing link stops working, the "
        "signers who had one are emailed, and the application is approved again so a corrected contract can be "
        "sent. Audited.",
    )
    async def void_envelope(self, info: Info, input: VoidEnvelopeInput) -> EnvelopePayload:
        ctx = info.context
        outcome = await envelopes.void(ctx.services, user=ctx.user, origin=ctx.origin,
                                       envelope_id=row_id(input.envelope_id, ENVELOPE_TYPE_NAME), reason=input.reason)
        return _envelope_payload(outcome)

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Consent to receive and sign the contract electronically (ESIGN Act), with your signing link. "
        "Needed before signing; recorded with the time, your IP address and device.",
    )
    async def consent_to_electronic_records(self, info: Info, input: ConsentToElectronicRecordsInput
                                            ) -> SigningPayload:
        outcome = await signing.consent(info.context.services, token=input.token, origin=info.context.origin)
        return _signing_payload(info, outcome)

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Sign the contract by typing your name, with your signing link (after consenting). The link is "
        "then used up. The next signer gets their link; the last signature completes the envelope: the signed copy "
        "with its certificate of completion is stored, the contract is booked and everyone is emailed.",
    )
    async def sign_envelope(self, info: Info, input: SignEnvelopeInput) -> SigningPayload:
        outcome = await signing.sign(info.context.services, token=input.token, typed_name=input.typed_name,
                                     origin=info.context.origin)
        return _signing_payload(info, outcome)

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Decline to sign, with your signing link and a reason: the envelope is DECLINED, nothing is "
        "booked, and the dealer is emailed the reason.",
    )
    async def decline_envelope(self, info: Info, input: DeclineEnvelopeInput) -> SigningPayload:
        outcome = await signing.decline(info.context.services, token=input.token, reason=input.reason,
                                        origin=info.context.origin)
        return _signing_payload(info, outcome)
