"""Secure messages in the schema: the MessageThread, SecureMessage and MessageAttachment nodes and their
connections. Thin: the rules live in resolvers/messages/.

Who sees what (resolvers/messages/visibility.py): the logins of the thread's customer and support
staff; everyone else gets null, as for a missing id. A support user fetching a thread (node, nodes,
`support { thread }`) or reading its messages is a staff view of the customer's data: it is audited
(`support.viewed_messages`, once per thread per request) and the customer sees it in their security
events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.messages import loaders
from graph.nodes import visible_nodes
from graph.pagination import (
    PAGE_ARGS_DESCRIPTION,
    CountedConnection,
    Ordering,
    _decode_cursor,
    _page_size,
    page_of,
)
from models import MessageAttachment, MessageThread, SecureMessage
from models import enums as model_enums
from resolvers.messages import attachments as files
from resolvers.messages.queue import Queue
from resolvers.messages.visibility import (
    attachments_visible_to,
    is_support,
    messages_visible_to,
    threads_visible_to,
)

THREAD_TYPE_NAME = "MessageThread"
MESSAGE_TYPE_NAME = "SecureMessage"
CASE_TYPE_NAME = "Case"  # graph/support/cases.py
NEWEST_FIRST = Ordering((("last_message_at", True), ("id", True)))
OLDEST_FIRST = NEWEST_FIRST.reversed()
MESSAGE_ORDER = Ordering((("id", False),))

ThreadCategoryEnum = strawberry.enum(
    model_enums.ThreadCategory, name="ThreadCategory",
    description="What a secure message thread is about: PAYMENTS, ACCOUNT (sign-in, profile), CONTRACT, LEASE_END, "
    "DOCUMENTS (statements, tax documents) or OTHER.",
)
ThreadStatusEnum = strawberry.enum(
    model_enums.ThreadStatus, name="ThreadStatus",
    description="OPEN: waiting on support (the customer wrote last). WAITING_ON_CUSTOMER: support replied last. "
    "CLOSED: support closed it; a new message reopens it.",
)
ThreadQueueEnum = strawberry.enum(
    Queue, name="ThreadQueue",
    description="Support's queues. UNASSIGNED: nobody is assigned, not closed. MINE: assigned to you, not closed. "
    "WAITING: waiting on the customer (support replied last). ALL: every thread. A `status` narrows any of them.",
)


def _global_id(type_name: str, row_id: int | None) -> strawberry.ID | None:
    return None if row_id is None else strawberry.ID(relay.to_base64(type_name, row_id))


@strawberry.type(name="MessageAttachment", description="A file attached to a secure message: PDF, PNG or JPEG.")
class MessageAttachmentType(relay.Node):
    id: relay.NodeID[int]
    filename: str = strawberry.field(
        description="The file name, sanitised, with the extension of the type found in the content."
    )
    content_type: str = strawberry.field(
        description="application/pdf, image/png or image/jpeg: found from the file's content, never from its name."
    )
    size_bytes: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content (hex), to check a downloaded copy.")
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")

    @classmethod
    def from_model(cls, row: MessageAttachment) -> MessageAttachmentType:
        return cls(id=row.id, filename=row.filename, content_type=row.content_type, size_bytes=row.size,
                   sha256=row.blob_id, created_at=row.created_at)

    @strawberry.field(
        description="A link to download the file (GET, relative to the API's origin). It works for 5 minutes, only "
        "for you, and only while you may see the thread; ask for a fresh one each time. The file comes as an "
        "attachment with its stored type."
    )
    def download_url(self, info: Info) -> str:
        return files.signed_download_path(info.context.services, self.id, info.context.user.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        queryset = attachments_visible_to(info.context.user).only(*loaders.ATTACHMENT_FIELDS)
        return await visible_nodes(queryset, node_ids, cls.from_model, required)


@strawberry.type(name=MESSAGE_TYPE_NAME, description="One message in a secure message thread.")
class SecureMessageType(relay.Node):
    id: relay.NodeID[int]
    body: str = strawberry.field(description="The text of the message.")
    from_support: bool = strawberry.field(description="True when customer support wrote it.")
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")
    thread_db_id: strawberry.Private[int]
    author_db_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: SecureMessage) -> SecureMessageType:
        return cls(id=row.id, body=row.body, from_support=row.from_support, created_at=row.created_at,
                   thread_db_id=row.thread_id, author_db_id=row.author_id)

    @strawberry.field(description="True when you wrote it.")
    def sent_by_you(self, info: Info) -> bool:
        return info.context.user is not None and info.context.user.id == self.author_db_id

    @strawberry.field(description="The `id` of the thread the message is in.")
    def thread_id(self) -> strawberry.ID:
        return _global_id(THREAD_TYPE_NAME, self.thread_db_id)

    @strawberry.field(description="The user ID of the author; support staff only (null for customers).")
    async def author_username(self, info: Info) -> str | None:
        if not is_support(info.context.user):
            return None
        return await loaders.usernames(info).load(self.author_db_id)

    @strawberry.field(description="The files sent with the message (at most 5), in the order they were attached.")
    async def attachments(self, info: Info) -> list[MessageAttachmentType]:
        rows = await loaders.attachments(info).load(self.id)
        return [MessageAttachmentType.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        nodes = await visible_nodes(messages_visible_to(user), node_ids, cls.from_model, required)
        if is_support(user):
            thread_ids = sorted({node.thread_db_id for node in nodes if node is not None})
            threads = list(await MessageThread.filter(id__in=thread_ids)) if thread_ids else []
            await loaders.staff_views(info).load_many(threads)
        return nodes


@strawberry.type(name="SecureMessageConnection", description="A page of a thread's messages, oldest first.")
class SecureMessageConnection(CountedConnection[SecureMessageType]):
    _thread_id: strawberry.Private[int | None] = None

    @strawberry.field(description="Number of messages in the whole thread.")
    async def total_count(self, info: Info) -> int:
        return await loaders.message_counts(info).load(self._thread_id) if self._thread_id is not None else 0


def _cursor_id(cursor: str | None) -> int | None:
    return None if cursor is None else _decode_cursor(cursor, SecureMessage, MESSAGE_ORDER)[0]


@strawberry.type(name=THREAD_TYPE_NAME, description="A conversation between a customer and customer support.")
class MessageThreadType(relay.Node):
    id: relay.NodeID[int]
    category: ThreadCategoryEnum = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    subject: str = strawberry.field(description="The subject the customer gave.")
    status: ThreadStatusEnum = strawberry.field(description="Whose turn it is, or CLOSED.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When the customer started it (UTC).")
    last_message_at: datetime = strawberry.field(description="When the newest message was sent (UTC).")
    closed_at: datetime | None = strawberry.field(description="When support closed it (UTC); null while not closed.")
    row: strawberry.Private[MessageThread]

    @classmethod
    def from_model(cls, row: MessageThread) -> MessageThreadType:
        return cls(id=row.id, category=row.category, subject=row.subject, status=row.status,
                   created_at=row.created_at, last_message_at=row.last_message_at, closed_at=row.closed_at, row=row)

    @strawberry.field(
        description="Messages you have not read: for a customer, support's messages since you last marked the thread "
        "read (`markThreadRead`); for support, the customer's."
    )
    async def unread_count(self, info: Info) -> int:
        return await loaders.unread(info, is_support(info.context.user)).load(self.row)

    @strawberry.field(description=f"The messages, oldest first. {PAGE_ARGS_DESCRIPTION}")
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> SecureMessageConnection:
        size, backwards = _page_size(first, last)
        if is_support(info.context.user):
            await loaders.staff_views(info).load(self.row)
        key = loaders.PageKey(thread_id=self.row.id, after_id=_cursor_id(after), before_id=_cursor_id(before),
                              size=size, backwards=backwards)
        rows = await loaders.pages(info).load(key) if size else []
        has_more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        edges, page_info = page_of(rows, MESSAGE_ORDER, SecureMessageType.from_model, has_more=has_more,
                                   backwards=backwards, after=after, before=before)
        return SecureMessageConnection(edges=edges, page_info=page_info, _thread_id=self.row.id)

    @strawberry.field(description="True when the thread is assigned to you (support).")
    def assigned_to_you(self, info: Info) -> bool:
        return info.context.user is not None and self.row.assigned_to_id == info.context.user.id

    @strawberry.field(description="The user ID of the support user assigned; support staff only (null otherwise).")
    async def assignee_username(self, info: Info) -> str | None:
        if not is_support(info.context.user) or self.row.assigned_to_id is None:
            return None
        return await loaders.usernames(info).load(self.row.assigned_to_id)

    @strawberry.field(description="The `id` of the customer the thread belongs to; support staff only.")
    def customer_id(self, info: Info) -> strawberry.ID | None:
        return _global_id("Customer", self.row.customer_id) if is_support(info.context.user) else None

    @strawberry.field(description="The customer's name; support staff only.")
    async def customer_name(self, info: Info) -> str | None:
        if not is_support(info.context.user):
            return None
        customer = await info.context.loaders.customers.load(self.row.customer_id)
        return f"{customer.first_name} {customer.last_name}".strip() if customer else None

    @strawberry.field(description="The `id` of the support case the thread is linked to (`linkThreadToCase`); "
                      "support staff only.")
    def case_id(self, info: Info) -> strawberry.ID | None:
        return _global_id(CASE_TYPE_NAME, self.row.case_id) if is_support(info.context.user) else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        nodes = await visible_nodes(threads_visible_to(user), node_ids, cls.from_model, required)
        if is_support(user):
            await loaders.staff_views(info).load_many([node.row for node in nodes if node is not None])
        return nodes


@strawberry.type(name="MessageThreadConnection", description="A page of secure message threads.")
class MessageThreadConnection(CountedConnection[MessageThreadType]):
    _unread: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(
        description="Unread messages over every thread of this list (not only this page): for a customer, support's "
        "messages you have not read; for support, the customers'."
    )
    async def unread_count(self) -> int:
        return await self._unread() if self._unread is not None else 0


@strawberry.input(description="Which of your threads to list.")
class MessageThreadFilter:
    status: ThreadStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only threads in this status (default: all)."
    )


@strawberry.input(description="Which threads the support queue lists.")
class SupportThreadFilter:
    queue: ThreadQueueEnum = strawberry.field(  # type: ignore[valid-type]
        default=Queue.ALL, description="UNASSIGNED, MINE, WAITING or ALL (default)."
    )
    status: ThreadStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only threads in this status."
    )
