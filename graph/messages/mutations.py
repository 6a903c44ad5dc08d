"""Secure message mutations: start a thread, post, mark read (customers and support), and support's
assign, link to a case and close. Thin: the rules live in resolvers/messages/.

Attachments travel as base64 in the GraphQL input (`contentBase64`): plain JSON, so GraphiQL and any
HTTP client can send them and the usual CSRF protection (the session-bound header) applies unchanged.
Send them as variables: graphql-core lexes a string literal written into the query text character by
character (about 1 s for 7 MB), while variables are parsed as JSON (about 50 ms). At most 5 files of
5 MiB each, so the largest legitimate request body is about 35 MB of JSON."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import CUSTOMERS, SUPPORT_STAFF, Audience
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.messages.types import (
    CASE_TYPE_NAME,
    THREAD_TYPE_NAME,
    MessageThreadType,
    SecureMessageType,
    ThreadCategoryEnum,
)
from models.enums import Role, ThreadCategory
from resolvers.messages import attachments as files
from resolvers.messages import posting, threads

# The two sides of a thread: its customer's logins and support staff.
THREAD_PARTIES = Audience({Role.CUSTOMER, Role.SUPPORT, Role.SUPPORT_LEAD})

KEY_DESCRIPTION = ("A key you make up for this message (1–128 characters): sending it again returns the first "
                   "message instead of posting a second; the same key with a different message is CONFLICT.")
ATTACHMENTS_DESCRIPTION = (f"Files to attach (at most {files.MAX_PER_MESSAGE}): {files.WHAT_IS_ACCEPTED} each, the "
                           "type checked from the content. Anything else refuses the whole message.")


@strawberry.input(description="A file to attach, its bytes in base64 (send it in the variables).")
class AttachmentInput:
    filename: str = strawberry.field(description="The file's name (sanitised; its extension follows the content).")
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded (standard alphabet).")


@strawberry.input(description="Start a secure message thread with customer support.")
class StartMessageThreadInput:
    category: ThreadCategoryEnum = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    subject: str = strawberry.field(description=f"The subject (1–{posting.MAX_SUBJECT} characters).")
    body: str = strawberry.field(description=f"Your message (1–{posting.MAX_BODY:,} characters).")
    attachments: list[AttachmentInput] | None = strawberry.field(default=None, description=ATTACHMENTS_DESCRIPTION)
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.input(description="Reply in a secure message thread.")
class PostSecureMessageInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread's `id`.")
    body: str = strawberry.field(description=f"The message (1–{posting.MAX_BODY:,} characters).")
    attachments: list[AttachmentInput] | None = strawberry.field(default=None, description=ATTACHMENTS_DESCRIPTION)
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.input(description="Mark a thread read up to its newest message.")
class MarkThreadReadInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread's `id`.")


@strawberry.input(description="Assign a thread to a support user.")
class AssignThreadInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread's `id`.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `id` of an active SUPPORT or SUPPORT_LEAD user; yourself when omitted."
    )


@strawberry.input(description="Link a thread to a support case about the same customer.")
class LinkThreadToCaseInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread's `id`.")
    case_id: strawberry.ID = strawberry.field(description="The case's `id` (a case of the thread's customer).")


@strawberry.input(description="Close a thread.")
class CloseThreadInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread's `id`.")


@strawberry.type(description="Result of starting a thread or posting a message.")
class SecureMessagePayload:
    thread: MessageThreadType | None = strawberry.field(description="The thread after the post; null on failure.")
    message: SecureMessageType | None = strawberry.field(description="The message posted; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID (with the field) for a bad subject, body, key or attachment (too many, too large, not "
        "base64, or not a PDF, PNG or JPEG by its content): nothing is stored. NOT_FOUND for a thread that is not "
        "yours; CONFLICT for an idempotencyKey already used with another message. Empty on success."
    )


@strawberry.type(description="Result of a change to a thread.")
class MessageThreadPayload:
    thread: MessageThreadType | None = strawberry.field(description="The thread after the change; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND for an unknown thread, case or assignee; INVALID for a case about another customer. "
        "Empty on success."
    )


def _uploads(items: list[AttachmentInput] | None) -> list[files.Upload] | None:
    if items is None:
        return None
    return [files.Upload(filename=item.filename, content_base64=item.content_base64) for item in items]


def _posted(outcome: posting.PostOutcome) -> SecureMessagePayload:
    if outcome.problems:
        return SecureMessagePayload(thread=None, message=None, errors=user_errors(list(outcome.problems)))
    return SecureMessagePayload(thread=MessageThreadType.from_model(outcome.thread),
                                message=SecureMessageType.from_model(outcome.message), errors=[])


def _changed(outcome: threads.ThreadOutcome) -> MessageThreadPayload:
    if outcome.problems:
        return MessageThreadPayload(thread=None, errors=user_errors(list(outcome.problems)))
    return MessageThreadPayload(thread=MessageThreadType.from_model(outcome.thread), errors=[])


@strawberry.type
class MessageMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Start a secure message thread with customer support: a category, a subject, your message and "
        f"up to {files.MAX_PER_MESSAGE} attachments ({files.WHAT_IS_ACCEPTED}). It appears in `viewer.messages` and "
        "in support's UNASSIGNED queue.",
    )
    async def start_message_thread(self, info: Info, input: StartMessageThreadInput) -> SecureMessagePayload:
        ctx = info.context
        return _posted(await posting.start_thread(
            ctx.services, user=ctx.user, origin=ctx.origin, category=ThreadCategory(input.category),
            subject=input.subject, body=input.body, uploads=_uploads(input.attachments),
            idempotency_key=input.idempotency_key))

    @strawberry.mutation(
        extensions=[allow(THREAD_PARTIES)],
        description="Post a message in a thread: a customer in their own threads, support in any. A customer's post "
        "makes the thread OPEN; support's makes it WAITING_ON_CUSTOMER, assigns an unassigned thread to the replier "
        "and tells the customer (portal notification, and an email that says only that a message is waiting). A "
        "closed thread reopens.",
    )
    async def post_secure_message(self, info: Info, input: PostSecureMessageInput) -> SecureMessagePayload:
        ctx = info.context
        return _posted(await posting.post_message(
            ctx.services, user=ctx.user, origin=ctx.origin, thread_id=row_id(input.thread_id, THREAD_TYPE_NAME),
            body=input.body, uploads=_uploads(input.attachments), idempotency_key=input.idempotency_key))

    @strawberry.mutation(
        extensions=[allow(THREAD_PARTIES)],
        description="Mark a thread read up to its newest message, for your side (customer or support): its "
        "`unreadCount` becomes 0.",
    )
    async def mark_thread_read(self, info: Info, input: MarkThreadReadInput) -> MessageThreadPayload:
        ctx = info.context
        return _changed(await threads.mark_read(ctx.services, user=ctx.user,
                                                thread_id=row_id(input.thread_id, THREAD_TYPE_NAME)))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Assign a thread to yourself or to another support user (support). Audited.",
    )
    async def assign_thread(self, info: Info, input: AssignThreadInput) -> MessageThreadPayload:
        ctx = info.context
        return _changed(await threads.assign(
            ctx.services, staff=ctx.user, origin=ctx.origin, thread_id=row_id(input.thread_id, THREAD_TYPE_NAME),
            assignee_id=None if input.assignee_id is None else (row_id(input.assignee_id, "User") or 0)))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Link a thread to a support case about the same customer (support). Audited.",
    )
    async def link_thread_to_case(self, info: Info, input: LinkThreadToCaseInput) -> MessageThreadPayload:
        ctx = info.context
        return _changed(await threads.link_case(
            ctx.services, staff=ctx.user, origin=ctx.origin, thread_id=row_id(input.thread_id, THREAD_TYPE_NAME),
            case_id=row_id(input.case_id, CASE_TYPE_NAME)))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Close a thread (support). The customer can still read it; a new message reopens it. Audited.",
    )
    async def close_thread(self, info: Info, input: CloseThreadInput) -> MessageThreadPayload:
        ctx = info.context
        return _changed(await threads.close(ctx.services, staff=ctx.user, origin=ctx.origin,
                                            thread_id=row_id(input.thread_id, THREAD_TYPE_NAME)))
