"""Working on threads: marking them read, and support's assign, link to a case and close.

Unread counts: for a customer, the messages from support with an id above the thread's
`customer_read_up_to`; for support, the customer's messages above `support_read_up_to`. Posting marks
the author's side read up to the post; `markThreadRead` moves the reader's side to the newest message
(never backwards, so two readers at once cannot un-read anything).

Support actions (assign, link, close) lock the thread row, check, change and audit in one transaction:
- assign: to yourself, or to another active SUPPORT / SUPPORT_LEAD user;
- link to a case: the case must be about the thread's customer (another customer's case is INVALID,
  and an unknown case NOT_FOUND);
- close: CLOSED with `closedAt`; closing a closed thread changes nothing. A later post reopens it
  (resolvers/messages/posting.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth.audit import Origin
from models import MessageThread, SecureMessage, SupportCase, User
from models.enums import ThreadStatus
from resolvers.errors import ErrorCode, Problem
from resolvers.messages import staff_actions
from resolvers.messages.posting import THREAD_NOT_FOUND
from resolvers.messages.visibility import SUPPORT_ROLES, is_support, threads_visible_to
from service.container import Services

CASE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No support case has that id.", ("caseId",))


@dataclass(frozen=True)
class ThreadOutcome:
    problems: tuple[Problem, ...] = ()
    thread: MessageThread | None = None


def _fail(*problems: Problem) -> ThreadOutcome:
    return ThreadOutcome(problems=tuple(problems))


# -- unread counts ---------------------------------------------------------------------------------

def read_mark_of(thread: MessageThread, support_side: bool) -> int:
    return thread.support_read_up_to if support_side else thread.customer_read_up_to


async def unread_by_thread(threads: Sequence[MessageThread], support_side: bool) -> dict[int, int]:
    """Unread messages of each thread for one side, in one query whatever the number of threads."""
    if not threads:
        return {}
    clauses = [Q(thread_id=thread.id, id__gt=read_mark_of(thread, support_side)) for thread in threads]
    rows = await (SecureMessage.filter(Q(*clauses, join_type="OR"), from_support=not support_side)
                  .annotate(unread=Count("id")).group_by("thread_id").values("thread_id", "unread"))
    counts = {row["thread_id"]: row["unread"] for row in rows}
    return {thread.id: counts.get(thread.id, 0) for thread in threads}


async def unread_total(threads: QuerySet[MessageThread], support_side: bool) -> int:
    """Unread messages over every thread of `threads` (one query)."""
    mark = "thread__support_read_up_to" if support_side else "thread__customer_read_up_to"
    return await SecureMessage.filter(thread__id__in=Subquery(threads.values("id")), from_support=not support_side,
                                      id__gt=F(mark)).count()


# -- reading ---------------------------------------------------------------------------------------

async def mark_read(services: Services, *, user: User, thread_id: int | None) -> ThreadOutcome:
    """Everything in the thread so far is read for the caller's side (customer or support)."""
    if thread_id is None:
        return _fail(THREAD_NOT_FOUND)
    thread = await threads_visible_to(user).filter(id=thread_id).first()
    if thread is None:
        return _fail(THREAD_NOT_FOUND)
    newest = (await SecureMessage.filter(thread_id=thread.id).annotate(newest=Max("id"))
              .values_list("newest", flat=True))
    newest_id = (newest[0] if newest else None) or 0
    mark = "support_read_up_to" if is_support(user) else "customer_read_up_to"
    # Conditional: a concurrent reader who already marked further is not moved back.
    await MessageThread.filter(id=thread.id, **{f"{mark}__lt": newest_id}).update(**{mark: newest_id})
    return ThreadOutcome(thread=await MessageThread.get(id=thread.id))


# -- support actions --------------------------------------------------------------------------------

async def _locked(thread_id: int | None, connection) -> MessageThread | None:
    if thread_id is None:
        return None
    return await MessageThread.filter(id=thread_id).using_db(connection).select_for_update().first()


async def assign(services: Services, *, staff: User, origin: Origin, thread_id: int | None,
                 assignee_id: int | None) -> ThreadOutcome:
    """Assign the thread to `assignee_id` (a support user), or to the caller when None."""
    if not is_support(staff):
        return _fail(THREAD_NOT_FOUND)
    if assignee_id is None:
        assignee = staff
    else:
        assignee = await User.filter(id=assignee_id, role__in=list(SUPPORT_ROLES), is_active=True).first()
        if assignee is None:
            return _fail(Problem(ErrorCode.NOT_FOUND, "No active support user has that id.", ("assigneeId",)))
    async with in_transaction() as connection:
        thread = await _locked(thread_id, connection)
        if thread is None:
            return _fail(THREAD_NOT_FOUND)
        if thread.assigned_to_id != assignee.id:
            thread.assigned_to_id = assignee.id
            await thread.save(update_fields=["assigned_to_id"], using_db=connection)
            await staff_actions.record(staff_actions.ASSIGNED, staff=staff, threads=[thread], clock=services.clock,
                                       origin=origin, details={"assignee_id": assignee.id}, connection=connection)
    return ThreadOutcome(thread=thread)


async def link_case(services: Services, *, staff: User, origin: Origin, thread_id: int | None,
                    case_id: int | None) -> ThreadOutcome:
    if not is_support(staff):
        return _fail(THREAD_NOT_FOUND)
    async with in_transaction() as connection:
        thread = await _locked(thread_id, connection)
        if thread is None:
            return _fail(THREAD_NOT_FOUND)
        case = await SupportCase.filter(id=case_id).using_db(connection).first() if case_id is not None else None
        if case is None:
            return _fail(CASE_NOT_FOUND)
        if case.customer_id != thread.customer_id:
            return _fail(Problem(ErrorCode.INVALID, "That case is about another customer: link a case of this "
                                 "thread's customer.", ("caseId",)))
        if thread.case_id != case.id:
            thread.case_id = case.id
            await thread.save(update_fields=["case_id"], using_db=connection)
            await staff_actions.record(staff_actions.LINKED, staff=staff, threads=[thread], clock=services.clock,
                                       origin=origin, details={"case_id": case.id}, connection=connection)
    return ThreadOutcome(thread=thread)


async def close(services: Services, *, staff: User, origin: Origin, thread_id: int | None) -> ThreadOutcome:
    if not is_support(staff):
        return _fail(THREAD_NOT_FOUND)
    async with in_transaction() as connection:
        thread = await _locked(thread_id, connection)
        if thread is None:
            return _fail(THREAD_NOT_FOUND)
        if thread.status != ThreadStatus.CLOSED:
            thread.status = ThreadStatus.CLOSED
            thread.closed_at = services.clock.now()
            await thread.save(update_fields=["status", "closed_at"], using_db=connection)
            await staff_actions.record(staff_actions.CLOSED, staff=staff, threads=[thread], clock=services.clock,
                                       origin=origin, connection=connection)
    return ThreadOutcome(thread=thread)
