"""The certificate of completion of an e-signature envelope, and the signed PDF that carries it.

The certificate is the envelope's audit trail in print: the document's SHA-256, each signer with
their consent to electronic records, signature time, typed name, IP address and device, and every
event in order. It is appended to the contract as a PDF incremental update, so the signed PDF
starts with the exact bytes of the document the signers saw: truncating it to the original's size
gives back a file whose SHA-256 is the one printed in the certificate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from fpdf.enums import XPos, YPos
from pypdf import PdfReader, PdfWriter

from documents.pdf import FONT, INK, LENDER, MUTED, DocumentPDF, Lender, latin1

TITLE = "Certificate of Completion"


@dataclass(frozen=True)
class CertificateSigner:
    routing_order: int
    role: str  # "Buyer", "Co-buyer", "Seller"
    name: str
    email: str
    typed_name: str
    consented_at: datetime | None
    signed_at: datetime | None
    ip: str  # where the signature came from
    user_agent: str


@dataclass(frozen=True)
class CertificateEvent:
    occurred_at: datetime
    action: str
    actor: str
    ip: str
    user_agent: str
    document_sha256: str
    detail: str = ""


@dataclass(frozen=True)
class Certificate:
    envelope_reference: str  # the envelope's global id
    application_number: str
    document_title: str
    document_sha256: str  # of the document as sent (the bytes every signer saw)
    document_size: int
    sent_at: datetime
    completed_at: datetime
    signers: tuple[CertificateSigner, ...]
    events: tuple[CertificateEvent, ...]
    consent_version: str
    lender: Lender = field(default=LENDER)


def utc(moment: datetime | None) -> str:
    """An instant as printed on the certificate: ISO 8601 in UTC to the second ("-" when none)."""
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_certificate(cert: Certificate) -> bytes:
    """The certificate pages alone, as PDF bytes (deterministic: created on the completion date)."""
    completed: date = cert.completed_at.astimezone(timezone.utc).date()
    pdf = DocumentPDF(title=TITLE, subtitle=f"Contract {cert.application_number}", created=completed,
                      lender=cert.lender)
    pdf.section("Envelope")
    pdf.key_values([
        ("Envelope", cert.envelope_reference),
        ("Document", cert.document_title),
        ("Document SHA-256 (as sent and signed)", ""),
        ("Document size", f"{cert.document_size:,} bytes"),
        ("Sent", utc(cert.sent_at)),
        ("Completed", utc(cert.completed_at)),
        ("Electronic records consent text", cert.consent_version),
    ], width=pdf.epw)
    pdf.set_font("Courier", "", 8.5)
    pdf.cell(pdf.epw, 5, cert.document_sha256, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.paragraph(
        "The signed copy of the contract is the document above followed by this certificate, appended without "
        "changing a byte of it: the first bytes of the signed file, up to the document size above, have the "
        "SHA-256 printed here."
    )
    for signer in cert.signers:
        _signer(pdf, signer)
    _events(pdf, cert.events)
    return pdf.to_bytes()


def _signer(pdf: DocumentPDF, signer: CertificateSigner) -> None:
    pdf.section(f"Signer {signer.routing_order}: {signer.role}")
    pdf.key_values([
        ("Name", signer.name),
        ("Email", signer.email),
        ("Consented to electronic records", utc(signer.consented_at)),
        ("Signed", utc(signer.signed_at)),
        ("Signature (typed name)", signer.typed_name or "-"),
        ("IP address", signer.ip or "-"),
    ], width=pdf.epw)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw, 3.8, latin1(f"Device (user agent): {signer.user_agent or '-'}"),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _events(pdf: DocumentPDF, events: tuple[CertificateEvent, ...]) -> None:
    pdf.section("Audit trail")
    rows = [(utc(e.occurred_at), e.action, e.actor, e.ip or "-", (e.user_agent or "-")[:60],
             e.detail or e.document_sha256[:16] + "...") for e in events]
    pdf.grid(("Time", "Event", "By", "IP", "Device", "Detail"), rows, widths=(30, 16, 34, 20, 40, 36),
             aligns=("LEFT",) * 6, empty="No events.")


def append_certificate(original: bytes, certificate: bytes) -> bytes:
    """`original` followed by the certificate's pages as an incremental update: the result begins
    with `original` byte for byte. Deterministic for the same inputs."""
    writer = PdfWriter(io.BytesIO(original), incremental=True)
    for page in PdfReader(io.BytesIO(certificate)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    signed = out.getvalue()
    if not signed.startswith(original):
        raise ValueError("the signed document must begin with the original bytes")
    return signed


def signed_document(original: bytes, cert: Certificate) -> bytes:
    """The signed copy: the contract as sent, then its certificate of completion."""
    return append_certificate(original, render_certificate(cert))
