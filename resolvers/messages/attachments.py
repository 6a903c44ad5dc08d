"""Attachments of secure messages: checking what was sent, storing it once, and signed download links.

What is accepted: PDF, PNG or JPEG, at most MAX_BYTES (5 MiB) each and MAX_PER_MESSAGE per message.
The type comes from the content only, never from the file name or anything the client says:
- PDF: starts with `%PDF-<digit>.<digit>` and has `%%EOF` near the end (a truncated or padded
  upload is refused);
- PNG: the 8-byte signature, then the IHDR chunk, and the IEND chunk as the last 12 bytes (nothing
  appended after the image);
- JPEG: starts with the SOI marker and a marker byte (FF D8 FF) and ends with EOI (FF D9).
Anything else is refused before anything is written, so a message with one bad attachment stores
nothing at all (not the message, not the thread).

The stored file name is sanitised (no path, no control or quoting characters, at most 100
characters) and its extension follows the detected type: `scan.pdf` holding PNG bytes is stored
as `scan.png`, image/png.

Bytes live in AttachmentBlob keyed by their SHA-256, inserted with ON CONFLICT DO NOTHING, so the
same file sent twice (or by two requests at once) is stored once.

Downloads: GraphQL hands out a link valid DOWNLOAD_TTL for one user (HMAC over the attachment, the
expiry and the user id, as for documents); the route re-checks at use that this user may still see
the attachment's thread (a customer user of the thread's customer, or active support staff).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from auth import signed_links
from models import AttachmentBlob, MessageAttachment, User
from resolvers.errors import ErrorCode, Problem
from resolvers.messages.visibility import attachments_visible_to
from service.clock import Clock
from service.container import Services

MAX_BYTES = 5 * 1024 * 1024  # 5 MiB, each
MAX_PER_MESSAGE = 5
# The base64 text of MAX_BYTES, plus slack for line breaks: longer text is refused before decoding.
MAX_BASE64_CHARS = (MAX_BYTES + 2) // 3 * 4 + 4096
MAX_FILENAME = 100
DOWNLOAD_TTL = timedelta(minutes=5)
SIGNATURE_PURPOSE = "message-attachment"

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
KNOWN_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".jpe", ".jfif")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PDF_HEADER = re.compile(rb"%PDF-[0-9]\.[0-9]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")

WHAT_IS_ACCEPTED = f"PDF, PNG or JPEG files of at most {MAX_BYTES // (1024 * 1024)} MB"


@dataclass(frozen=True)
class Upload:
    """An attachment as the client sent it."""

    filename: str
    content_base64: str


@dataclass(frozen=True)
class CheckedFile:
    """An accepted attachment: its bytes, their SHA-256, the type found in them and a safe name."""

    filename: str
    content_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are (PDF, PNG or JPEG), or None for anything else."""
    if content.startswith(b"%PDF-"):
        if _PDF_HEADER.match(content) and b"%%EOF" in content[-1024:]:
            return PDF
        return None
    if content.startswith(PNG_SIGNATURE):
        if content[12:16] == b"IHDR" and content.endswith(PNG_IEND):
            return PNG
        return None
    if content.startswith(b"\xff\xd8\xff") and content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return JPEG
    return None


def safe_filename(raw: str, content_type: str) -> str:
    """A name safe in a header and on any file system, with the extension of the detected type."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # no directories
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # no control characters
    name = _UNSAFE.sub("_", name).strip(" ._")
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in KNOWN_EXTENSIONS:
        name, extension = stem.rstrip(" ._"), f".{extension.lower()}"
    else:
        extension = ""
    if extension not in EXTENSIONS[content_type]:
        extension = EXTENSIONS[content_type][0]
    name = (name or "attachment")[: MAX_FILENAME - len(extension)]
    return f"{name}{extension}"


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def check(uploads: list[Upload] | None) -> tuple[list[CheckedFile], list[Problem]]:
    """Accepted files, or the problems (each naming the attachment at fault). Pure: writes nothing."""
    uploads = list(uploads or [])
    if len(uploads) > MAX_PER_MESSAGE:
        return [], [Problem(ErrorCode.INVALID, f"Attach at most {MAX_PER_MESSAGE} files to one message.",
                            ("attachments",))]
    checked: list[CheckedFile] = []
    problems: list[Problem] = []
    for index, upload in enumerate(uploads):
        where = ("attachments", str(index), "contentBase64")
        text = upload.content_base64 or ""
        content = _decode(text) if len(text) <= MAX_BASE64_CHARS else b""
        if len(text) > MAX_BASE64_CHARS or (content is not None and len(content) > MAX_BYTES):
            problems.append(Problem(ErrorCode.INVALID, f"Attachment {index + 1} is larger than "
                                    f"{MAX_BYTES // (1024 * 1024)} MB ({MAX_BYTES} bytes).", where))
            continue
        if content is None:
            problems.append(Problem(ErrorCode.INVALID, f"Attachment {index + 1} is not valid base64.", where))
            continue
        if not content:
            problems.append(Problem(ErrorCode.INVALID, f"Attachment {index + 1} is empty.", where))
            continue
        content_type = sniff(content)
        if content_type is None:
            problems.append(Problem(ErrorCode.INVALID, f"Attachment {index + 1} is not a PDF, PNG or JPEG file "
                                    f"(checked from its content, whatever its name). Only {WHAT_IS_ACCEPTED} "
                                    "can be attached.", where))
            continue
        checked.append(CheckedFile(filename=safe_filename(upload.filename, content_type), content_type=content_type,
                                   content=content, sha256=hashlib.sha256(content).hexdigest()))
    return (checked, []) if not problems else ([], problems)


async def store(files: list[CheckedFile], message_id: int, *, clock: Clock, connection: BaseDBAsyncClient
                ) -> list[MessageAttachment]:
    """Blobs once per content (ON CONFLICT DO NOTHING), then one attachment row per file: constant queries."""
    if not files:
        return []
    now = clock.now()
    wanted = {file.sha256: file for file in files}
    present = set(await AttachmentBlob.filter(sha256__in=list(wanted)).using_db(connection)
                  .values_list("sha256", flat=True))
    missing = [AttachmentBlob(sha256=sha, content=file.content, size=file.size, created_at=now)
               for sha, file in wanted.items() if sha not in present]
    if missing:
        await AttachmentBlob.bulk_create(missing, ignore_conflicts=True, using_db=connection)
    rows = [MessageAttachment(message_id=message_id, blob_id=file.sha256, filename=file.filename,
                              content_type=file.content_type, size=file.size, created_at=now) for file in files]
    await MessageAttachment.bulk_create(rows, using_db=connection)
    return list(await MessageAttachment.filter(message_id=message_id).using_db(connection).order_by("id"))


# -- signed download links -----------------------------------------------------------------------

def signed_download_path(services: Services, attachment_id: int, user_id: int) -> str:
    """A link to the file valid DOWNLOAD_TTL, usable only while `user_id` may still see its thread."""
    query = signed_links.signed_query(services.settings.secret_key, SIGNATURE_PURPOSE, str(attachment_id), user_id,
                                      clock=services.clock, ttl=DOWNLOAD_TTL)
    return f"/message-attachments/{attachment_id}?{query}"


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: bytes


async def attachment_for_signed_link(services: Services, attachment_id: str, expires: str, user_id: str,
                                     signature: str) -> Download | None:
    """The file if the link is genuine, unexpired and its user may still see it; None otherwise
    (every failure looks the same)."""
    if not attachment_id.isdigit() or len(attachment_id) > 18:
        return None
    signed_for = signed_links.verified_user_id(services.settings.secret_key, SIGNATURE_PURPOSE, attachment_id,
                                               expires, user_id, signature, clock=services.clock, ttl=DOWNLOAD_TTL)
    if signed_for is None:
        return None
    user = await User.get_or_none(id=signed_for)
    if user is None:
        return None
    row = await attachments_visible_to(user).filter(id=int(attachment_id)).first()
    if row is None:
        return None
    blob = await AttachmentBlob.get_or_none(sha256=row.blob_id)
    if blob is None:
        return None
    return Download(filename=row.filename, content_type=row.content_type, content=bytes(blob.content))
