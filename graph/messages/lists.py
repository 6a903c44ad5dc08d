"""The lists of threads: the customer's `viewer.messages` and support's `support { threads thread }`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from graph.ids import row_id
from graph.messages.types import (
    NEWEST_FIRST,
    OLDEST_FIRST,
    THREAD_TYPE_NAME,
    MessageThreadConnection,
    MessageThreadFilter,
    MessageThreadType,
    SupportThreadFilter,
)
from graph.pagination import PAGE_ARGS_DESCRIPTION, paginate
from models import User
from models.enums import ThreadStatus
from resolvers.messages import queue as lists
from resolvers.messages.threads import unread_total

VIEWER_MESSAGES_DESCRIPTION = (
    "Your secure message threads with customer support, the most recently active first, with unread counts; "
    "optionally only one `status`. Empty on anyone but yourself and for staff. Start one with "
    f"`startMessageThread`, reply with `postSecureMessage`. {PAGE_ARGS_DESCRIPTION}"
)


def _status(value) -> ThreadStatus | None:
    return ThreadStatus(value) if value is not None else None


async def viewer_threads(
    info: Info, viewer: User | None, filter: MessageThreadFilter | None, *, first: int | None, after: str | None,
    last: int | None, before: str | None,
) -> MessageThreadConnection:
    """`viewer.messages`: `viewer` is the signed-in user when the field is on themself, else None."""
    query = lists.customer_threads(viewer, _status(filter.status if filter else None))
    connection = await paginate(MessageThreadConnection, query, NEWEST_FIRST, MessageThreadType.from_model,
                                first=first, after=after, last=last, before=before)
    connection._unread = lambda: unread_total(query, support_side=False)
    return connection


@strawberry.type
class MessagesDesk:
    @strawberry.field(
        description="Secure message threads for support, the longest waiting first (oldest newest message): the "
        "UNASSIGNED, MINE or WAITING queue, or ALL; optionally one `status`. Listing shows subjects only; opening a "
        f"thread or reading its messages is audited and shown to the customer. {PAGE_ARGS_DESCRIPTION}"
    )
    async def threads(
        self, info: Info, filter: SupportThreadFilter | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> MessageThreadConnection:
        chosen = filter or SupportThreadFilter()
        query = lists.support_queue(info.context.user, lists.Queue(chosen.queue), _status(chosen.status))
        connection = await paginate(MessageThreadConnection, query, OLDEST_FIRST, MessageThreadType.from_model,
                                    first=first, after=after, last=last, before=before)
        connection._unread = lambda: unread_total(query, support_side=True)
        return connection

    @strawberry.field(
        description="One secure message thread by `id`, or null. Audited as a view of the customer's messages "
        "(the customer sees it in their security events)."
    )
    async def thread(self, info: Info, id: strawberry.ID) -> MessageThreadType | None:
        thread_id = row_id(id, THREAD_TYPE_NAME)
        if thread_id is None:
            return None
        return (await MessageThreadType.resolve_nodes(info=info, node_ids=[str(thread_id)]))[0]
