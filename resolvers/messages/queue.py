"""Which threads a list shows: the customer's own, and support's queues.

Support queues (every thread, whoever the customer):
- UNASSIGNED: nobody is assigned and the thread is not closed;
- MINE: assigned to the caller and not closed;
- WAITING: waiting on the customer (support replied last), whoever is assigned;
- ALL: every thread.
An explicit `status` narrows any of them (e.g. MINE + CLOSED: the ones you closed or that were closed
while assigned to you). Listing is not a view of the messages: the audited view is opening a thread or
reading its messages (graph/messages)."""

from __future__ import annotations

from enum import Enum

from tortoise.queryset import QuerySet

from models import MessageThread, User
from models.enums import ThreadStatus
from resolvers.messages.visibility import is_support, threads_visible_to


class Queue(str, Enum):
    UNASSIGNED = "UNASSIGNED"
    MINE = "MINE"
    WAITING = "WAITING"
    ALL = "ALL"


def customer_threads(user: User | None, status: ThreadStatus | None = None) -> QuerySet[MessageThread]:
    """The threads of the caller's customer record (none for anyone else, staff included)."""
    query = threads_visible_to(user) if user is not None and not is_support(user) else MessageThread.filter(id__in=[])
    return query.filter(status=status) if status is not None else query


def support_queue(user: User | None, queue: Queue, status: ThreadStatus | None = None) -> QuerySet[MessageThread]:
    if not is_support(user):
        return MessageThread.filter(id__in=[])
    query = MessageThread.all()
    if queue == Queue.UNASSIGNED:
        query = query.filter(assigned_to_id__isnull=True)
    elif queue == Queue.MINE:
        query = query.filter(assigned_to_id=user.id)
    elif queue == Queue.WAITING:
        query = query.filter(status=ThreadStatus.WAITING_ON_CUSTOMER)
    if status is not None:
        return query.filter(status=status)
    if queue in (Queue.UNASSIGNED, Queue.MINE):
        return query.exclude(status=ThreadStatus.CLOSED)
    return query
