"""Builders and operations for the secure-message tests: customers and support users with sessions,
small real PDF/PNG/JPEG files, and the GraphQL documents."""

from __future__ import annotations

import base64
import struct
import zlib

from auth.sessions import start_session
from models import SupportCase, User
from models.enums import CaseCategory, Role, SessionKind
from tests import factories

ERRORS = "errors { code message field }"
ATTACHMENT = "attachments { id filename contentType sizeBytes sha256 downloadUrl }"
MESSAGE = f"id body fromSupport sentByYou authorUsername threadId {ATTACHMENT}"
THREAD = "id category subject status unreadCount assignedToYou assigneeUsername customerId caseId closedAt"

START = f"""mutation($input: StartMessageThreadInput!) {{ startMessageThread(input: $input) {{
  thread {{ {THREAD} }} message {{ {MESSAGE} }} {ERRORS} }} }}"""
POST = f"""mutation($input: PostSecureMessageInput!) {{ postSecureMessage(input: $input) {{
  thread {{ {THREAD} }} message {{ {MESSAGE} }} {ERRORS} }} }}"""
MARK_READ = f"""mutation($input: MarkThreadReadInput!) {{ markThreadRead(input: $input) {{
  thread {{ {THREAD} }} {ERRORS} }} }}"""
ASSIGN = f"""mutation($input: AssignThreadInput!) {{ assignThread(input: $input) {{ thread {{ {THREAD} }} {ERRORS} }} }}"""
LINK = f"""mutation($input: LinkThreadToCaseInput!) {{ linkThreadToCase(input: $input) {{
  thread {{ {THREAD} }} {ERRORS} }} }}"""
CLOSE = f"""mutation($input: CloseThreadInput!) {{ closeThread(input: $input) {{ thread {{ {THREAD} }} {ERRORS} }} }}"""
MY_THREADS = f"""query($filter: MessageThreadFilter) {{ viewer {{ messages(filter: $filter) {{ totalCount unreadCount
  edges {{ node {{ {THREAD} messages {{ totalCount edges {{ node {{ {MESSAGE} }} }} }} }} }} }} }} }}"""
QUEUE = f"""query($filter: SupportThreadFilter) {{ support {{ threads(filter: $filter) {{ totalCount unreadCount
  edges {{ node {{ {THREAD} customerName }} }} }} }} }}"""
DESK_THREAD = f"""query($id: ID!) {{ support {{ thread(id: $id) {{ {THREAD}
  messages {{ edges {{ node {{ {MESSAGE} }} }} }} }} }} }}"""


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def pdf_bytes(text: str = "hello") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text.encode()
            + b"\ntrailer << /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"


async def customer_login(services, username: str = "alice"):
    owner = await factories.customer(services)
    user = await factories.user(services, username, Role.CUSTOMER, customer=owner)
    return owner, user


async def session_token(services, user: User) -> str:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    return issued.token


async def support_user(services, username: str = "sam", role: Role = Role.SUPPORT) -> User:
    return await factories.user(services, username, role)


async def as_user(client, services, user: User) -> None:
    client.token = await session_token(services, user)


async def case_for(customer, services) -> SupportCase:
    now = services.clock.now()
    return await SupportCase.create(customer=customer, category=CaseCategory.OTHER, subject="A case",
                                    created_at=now, updated_at=now)


async def start(client, subject: str = "Payment question", body: str = "Where did my payment go?",
                key: str = "start-1", attachments: list | None = None, category: str = "PAYMENTS") -> dict:
    value = {"category": category, "subject": subject, "body": body, "idempotencyKey": key,
             **({"attachments": attachments} if attachments is not None else {})}
    return (await client.execute(START, {"input": value}))["startMessageThread"]


async def post(client, thread_id: str, body: str, key: str, attachments: list | None = None) -> dict:
    value = {"threadId": thread_id, "body": body, "idempotencyKey": key,
             **({"attachments": attachments} if attachments is not None else {})}
    return (await client.execute(POST, {"input": value}))["postSecureMessage"]


async def mark_read(client, thread_id: str) -> dict:
    return (await client.execute(MARK_READ, {"input": {"threadId": thread_id}}))["markThreadRead"]


async def my_threads(client, status: str | None = None) -> dict:
    variables = {"filter": {"status": status}} if status else {}
    return (await client.execute(MY_THREADS, variables))["viewer"]["messages"]


async def queue(client, queue_name: str = "ALL", status: str | None = None) -> dict:
    value = {"queue": queue_name, **({"status": status} if status else {})}
    return (await client.execute(QUEUE, {"filter": value}))["support"]["threads"]


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]
