"""Writing secure messages: a customer starts a thread; the customer or support replies.

Rules:
- Only a CUSTOMER user with a customer record starts a thread (for that record). A reply comes from a
  login of the thread's customer or from support staff; anyone else's thread id answers NOT_FOUND.
- Subject 1–200 characters, body 1–10,000 (trimmed), at most 5 attachments (resolvers/messages/
  attachments.py); every check runs before anything is written, so a refused post stores nothing.
- Status: a customer's post makes the thread OPEN (waiting on support), a support post makes it
  WAITING_ON_CUSTOMER. A post to a CLOSED thread reopens it (the customer writing again wants an
  answer, and the history stays in one place); `closedAt` is cleared. A support reply to an unassigned
  thread assigns it to the replier, so the customer's answer reaches them.
- Each post carries an idempotency key (per author): a retry with the same key answers with the first
  message; the same key with a different post is a CONFLICT. Two concurrent retries make one message
  (the unique key decides; the loser answers with the winner's message).
- The author's own side is marked read up to their post.
- In the same transaction: a support reply publishes a live MESSAGE event to every login of the
  customer, puts a SECURE_MESSAGES notification in each one's portal inbox and emails them "You have a
  new secure message" without any content, and is audited (support.replied_to_message). A customer's
  post publishes a live MESSAGE event to the assigned support user, if any.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import Origin
from mail import notify as mail
from models import MessageAttachment, MessageThread, SecureMessage, User
from models.enums import NotificationCategory, ThreadCategory, ThreadStatus
from resolvers.errors import ErrorCode, Problem
from resolvers.live.publish import MESSAGE, publish
from resolvers.messages import attachments as files
from resolvers.messages import staff_actions
from resolvers.messages.visibility import (
    customer_logins,
    is_support,
    is_thread_customer,
    threads_visible_to,
)
from resolvers.notifications import notify
from service.container import Services

MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_KEY_LENGTH = 128

THREAD_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No message thread of yours has that id.", ("threadId",))
NOTIFICATION_TITLE = "You have a new secure message"
NOTIFICATION_BODY = "Customer support replied to you. Open your secure messages to read it."


@dataclass(frozen=True)
class PostOutcome:
    problems: tuple[Problem, ...] = ()
    thread: MessageThread | None = None
    message: SecureMessage | None = None


def _fail(*problems: Problem) -> PostOutcome:
    return PostOutcome(problems=tuple(problems))


def _text(value: str | None, limit: int, field: str, what: str) -> str | Problem:
    value = (value or "").strip()
    if not value or len(value) > limit:
        return Problem(ErrorCode.INVALID, f"{what} must be 1 to {limit:,} characters.", (field,))
    return value


def _key(value: str | None) -> str | Problem:
    return _text(value, MAX_KEY_LENGTH, "idempotencyKey", "idempotencyKey")


@dataclass(frozen=True)
class _Post:
    """A checked post: what a retry is compared with."""

    body: str
    key: str
    files: tuple[files.CheckedFile, ...]
    thread_id: int | None = None  # a reply
    category: ThreadCategory | None = None  # a new thread
    subject: str | None = None


def _checked(body: str | None, key: str | None, uploads: list[files.Upload] | None, **extra) -> _Post | list[Problem]:
    problems: list[Problem] = [p for p in extra.pop("problems", []) if p is not None]
    checked_body = _text(body, MAX_BODY, "body", "The message")
    checked_key = _key(key)
    accepted, file_problems = files.check(uploads)
    problems += [p for p in (checked_body, checked_key) if isinstance(p, Problem)] + file_problems
    if problems:
        return problems
    return _Post(body=checked_body, key=checked_key, files=tuple(accepted), **extra)


async def _replay(user: User, post: _Post, connection: BaseDBAsyncClient | None = None) -> PostOutcome | None:
    """The first result of this key, a CONFLICT when the key was used for another post, or None."""
    existing = await SecureMessage.filter(author_id=user.id, idempotency_key=post.key).using_db(connection).first()
    if existing is None:
        return None
    thread = await MessageThread.get(id=existing.thread_id).using_db(connection)
    shas = await MessageAttachment.filter(message_id=existing.id).using_db(connection).order_by("id") \
        .values_list("blob_id", flat=True)
    same = existing.body == post.body and list(shas) == [file.sha256 for file in post.files]
    if post.thread_id is not None:
        same = same and existing.thread_id == post.thread_id
    else:
        first = await SecureMessage.filter(thread_id=thread.id).using_db(connection).order_by("id").first()
        same = same and first.id == existing.id and thread.subject == post.subject and thread.category == post.category
    if not same:
        return _fail(Problem(ErrorCode.CONFLICT, "This idempotencyKey was already used for a different message.",
                             ("idempotencyKey",)))
    return PostOutcome(thread=thread, message=existing)


async def _write_once(user: User, post: _Post, write) -> PostOutcome:
    """Run `write(connection)` in a transaction; a concurrent post with the same key wins the unique
    index, and this one then answers with its message."""
    replayed = await _replay(user, post)
    if replayed is not None:
        return replayed
    try:
        async with in_transaction() as connection:
            return await write(connection)
    except IntegrityError:
        replayed = await _replay(user, post)
        if replayed is None:
            raise
        return replayed


# -- a new thread ----------------------------------------------------------------------------------

async def start_thread(services: Services, *, user: User, origin: Origin, category: ThreadCategory,
                       subject: str | None, body: str | None, uploads: list[files.Upload] | None,
                       idempotency_key: str | None) -> PostOutcome:
    if not is_thread_customer(user):
        return _fail(Problem(ErrorCode.FORBIDDEN, "Only a customer can start a secure message thread.", None))
    checked_subject = _text(subject, MAX_SUBJECT, "subject", "The subject")
    post = _checked(body, idempotency_key, uploads, category=ThreadCategory(category),
                    subject=checked_subject if isinstance(checked_subject, str) else None,
                    problems=[checked_subject if isinstance(checked_subject, Problem) else None])
    if isinstance(post, list):
        return _fail(*post)

    async def write(connection: BaseDBAsyncClient) -> PostOutcome:
        now = services.clock.now()
        thread = await MessageThread.create(customer_id=user.customer_id, category=post.category,
                                            subject=post.subject, status=ThreadStatus.OPEN, created_at=now,
                                            last_message_at=now, using_db=connection)
        message = await SecureMessage.create(thread_id=thread.id, author_id=user.id, from_support=False,
                                             body=post.body, idempotency_key=post.key, created_at=now,
                                             using_db=connection)
        thread.customer_read_up_to = message.id
        await thread.save(update_fields=["customer_read_up_to"], using_db=connection)
        await files.store(list(post.files), message.id, clock=services.clock, connection=connection)
        return PostOutcome(thread=thread, message=message)

    return await _write_once(user, post, write)


# -- a reply ----------------------------------------------------------------------------------------

async def post_message(services: Services, *, user: User, origin: Origin, thread_id: int | None,
                       body: str | None, uploads: list[files.Upload] | None,
                       idempotency_key: str | None) -> PostOutcome:
    post = _checked(body, idempotency_key, uploads, thread_id=thread_id)
    if isinstance(post, list):
        return _fail(*post)
    if thread_id is None or not (is_support(user) or is_thread_customer(user)):
        return _fail(THREAD_NOT_FOUND)

    async def write(connection: BaseDBAsyncClient) -> PostOutcome:
        thread = await threads_visible_to(user).filter(id=thread_id).using_db(connection).select_for_update().first()
        if thread is None:
            return _fail(THREAD_NOT_FOUND)
        now = services.clock.now()
        support = is_support(user)
        message = await SecureMessage.create(thread_id=thread.id, author_id=user.id, from_support=support,
                                             body=post.body, idempotency_key=post.key, created_at=now,
                                             using_db=connection)
        thread.last_message_at = now
        thread.closed_at = None
        if support:
            thread.status = ThreadStatus.WAITING_ON_CUSTOMER
            thread.support_read_up_to = message.id
            if thread.assigned_to_id is None:
                thread.assigned_to_id = user.id
        else:
            thread.status = ThreadStatus.OPEN
            thread.customer_read_up_to = message.id
        await thread.save(update_fields=["last_message_at", "closed_at", "status", "support_read_up_to",
                                         "customer_read_up_to", "assigned_to_id"], using_db=connection)
        await files.store(list(post.files), message.id, clock=services.clock, connection=connection)
        if support:
            await _tell_customer(services, user, origin, thread, message, connection)
        elif thread.assigned_to_id is not None:
            await publish(thread.assigned_to_id, MESSAGE, {"thread": thread.id, "message": message.id},
                          clock=services.clock, using_db=connection)
        return PostOutcome(thread=thread, message=message)

    return await _write_once(user, post, write)


async def _tell_customer(services: Services, staff: User, origin: Origin, thread: MessageThread,
                         message: SecureMessage, connection: BaseDBAsyncClient) -> None:
    """Live event, portal notification and a content-free email to each login of the customer, and the
    audit event, all in the reply's transaction. SECURE_MESSAGES has no switch in the communication
    preferences (a reply to the customer's own question is service correspondence, like PLAN_CHANGES),
    so it always goes out."""
    link = mail.portal_link(services, "messages")
    for login in (await customer_logins([thread.customer_id], using_db=connection))[thread.customer_id]:
        await publish(login.id, MESSAGE, {"thread": thread.id, "message": message.id}, clock=services.clock,
                      using_db=connection)
        await notify(services, user=login, category=NotificationCategory.SECURE_MESSAGES, title=NOTIFICATION_TITLE,
                     body=NOTIFICATION_BODY, email_template="new_secure_message", email_context={"link": link},
                     using_db=connection)
    await staff_actions.record(staff_actions.REPLIED, staff=staff, threads=[thread], clock=services.clock,
                               origin=origin, details={"message_id": message.id}, connection=connection)
