"""Reading and marking a user's in-portal notifications (the bell). Writing them is
resolvers/notifications.py's `notify`.

Only the user's own rows are ever selected. `mark_read` takes either a list of ids or `all`;
an id that is not one of the user's notifications (someone else's, deleted, malformed) makes the
whole call NOT_FOUND with the index of the first such id, and nothing is marked — the same answer
for another user's id and for a missing one. Marking an already-read notification keeps its
first `read_at`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet

from models import Notification, User
from resolvers.errors import ErrorCode, Problem
from service.container import Services

MAX_IDS = 100


def notifications_of(user: User | None, *, unread_only: bool = False) -> QuerySet[Notification]:
    if user is None:
        return Notification.filter(id__in=[])
    query = Notification.filter(user_id=user.id)
    return query.filter(read_at__isnull=True) if unread_only else query


async def unread_count(user: User | None) -> int:
    return await notifications_of(user, unread_only=True).count()


@dataclass(frozen=True)
class MarkOutcome:
    problems: tuple[Problem, ...] = ()
    marked: int = 0


async def mark_read(
    services: Services, *, user: User, ids: list[int | None] | None, everything: bool
) -> MarkOutcome:
    """Mark the given notifications (or all of them) read. `ids` holds None for a malformed id."""
    if everything == (ids is not None):
        return MarkOutcome(problems=(Problem(ErrorCode.INVALID, "Give either `notificationIds` or `all: true`.",
                                             ("notificationIds",)),))
    now = services.clock.now()
    unread = notifications_of(user, unread_only=True)
    if everything:
        return MarkOutcome(marked=await unread.update(read_at=now))
    assert ids is not None
    if len(ids) > MAX_IDS:
        return MarkOutcome(problems=(Problem(ErrorCode.INVALID, f"Mark at most {MAX_IDS} notifications at once.",
                                             ("notificationIds",)),))
    wanted = {i for i in ids if i is not None}
    mine = set(await notifications_of(user).filter(id__in=wanted).values_list("id", flat=True)) if wanted else set()
    for index, value in enumerate(ids):
        if value is None or value not in mine:
            return MarkOutcome(problems=(Problem(ErrorCode.NOT_FOUND, "No notification with that id.",
                                                 ("notificationIds", str(index))),))
    return MarkOutcome(marked=await unread.filter(id__in=mine).update(read_at=now) if mine else 0)
