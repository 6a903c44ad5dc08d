"""Per-request DataLoaders of the secure messages, so a list of N threads costs the same queries as one:
unread counts (one grouped query), each thread's page of messages (one windowed query for the ids and
one for the rows), message counts (one grouped query), attachments (one query, without the bytes),
authors' usernames (one query), and support's views of threads (audited once per thread per request).

Made on first use through `info.context.loaders.named(...)`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader
from strawberry.types import Info
from tortoise.functions import Count

from models import MessageAttachment, MessageThread, SecureMessage, User
from resolvers.messages import staff_actions
from resolvers.messages.threads import unread_by_thread

ATTACHMENT_FIELDS = ("id", "message_id", "blob_id", "filename", "content_type", "size", "created_at")


@dataclass(frozen=True)
class PageKey:
    """One thread's page: ids strictly after / before the cursors, `size` + 1 rows (to see if more exist)."""

    thread_id: int
    after_id: int | None
    before_id: int | None
    size: int
    backwards: bool

    @property
    def shape(self) -> tuple:
        return self.after_id, self.before_id, self.size, self.backwards


def _unread_loader(support_side: bool):
    async def load(threads: Sequence[MessageThread]):
        counts = await unread_by_thread(threads, support_side)
        return [counts[thread.id] for thread in threads]

    return lambda: DataLoader(load_fn=load, cache_key_fn=lambda thread: thread.id)


def unread(info: Info, support_side: bool) -> DataLoader[MessageThread, int]:
    return info.context.loaders.named(f"messages.unread.{support_side}", _unread_loader(support_side))


def _placeholder(dialect: str, number: int) -> str:
    return f"${number}" if dialect == "postgres" else "?"


async def _page_ids(thread_ids: list[int], shape: tuple) -> list[int]:
    """The ids of each thread's page, in one statement (ROW_NUMBER per thread; SQLite and PostgreSQL)."""
    after_id, before_id, size, backwards = shape
    connection = SecureMessage._meta.db
    dialect = connection.capabilities.dialect
    params: list = []
    if dialect == "postgres":
        params.append(thread_ids)
        where = [f'"thread_id" = ANY({_placeholder(dialect, 1)}::bigint[])']
    else:
        params += thread_ids
        where = [f'"thread_id" IN ({", ".join("?" * len(thread_ids))})']
    for operator, value in ((">", after_id), ("<", before_id)):
        if value is not None:
            params.append(value)
            where.append(f'"id" {operator} {_placeholder(dialect, len(params))}')
    params.append(size + 1)
    direction = "DESC" if backwards else "ASC"
    sql = (f'SELECT "id" FROM (SELECT "id", ROW_NUMBER() OVER (PARTITION BY "thread_id" ORDER BY "id" {direction}) '
           f'AS "position" FROM "secure_messages" WHERE {" AND ".join(where)}) AS "ranked" '
           f'WHERE "position" <= {_placeholder(dialect, len(params))}')
    _, records = await connection.execute_query(sql, params)
    return [record[0] for record in records]


async def _load_pages(keys: Sequence[PageKey]) -> list[list[SecureMessage]]:
    by_shape: dict[tuple, list[int]] = defaultdict(list)
    for key in keys:
        by_shape[key.shape].append(key.thread_id)
    ids: list[int] = []
    for shape, thread_ids in by_shape.items():
        ids += await _page_ids(sorted(set(thread_ids)), shape)
    rows = list(await SecureMessage.filter(id__in=ids).order_by("id")) if ids else []
    pages: dict[tuple, list[SecureMessage]] = defaultdict(list)
    for row in rows:
        for shape in by_shape:
            pages[(row.thread_id, shape)].append(row)
    result = []
    for key in keys:
        page = [row for row in pages[(key.thread_id, key.shape)]
                if (key.after_id is None or row.id > key.after_id) and (key.before_id is None or row.id < key.before_id)]
        page.sort(key=lambda row: row.id, reverse=key.backwards)
        result.append(page[: key.size + 1])
    return result


def pages(info: Info) -> DataLoader[PageKey, list[SecureMessage]]:
    return info.context.loaders.named("messages.pages", lambda: DataLoader(load_fn=_load_pages))


async def _load_counts(thread_ids: Sequence[int]) -> list[int]:
    rows = await (SecureMessage.filter(thread_id__in=list(thread_ids)).annotate(total=Count("id"))
                  .group_by("thread_id").values("thread_id", "total"))
    counts = {row["thread_id"]: row["total"] for row in rows}
    return [counts.get(thread_id, 0) for thread_id in thread_ids]


def message_counts(info: Info) -> DataLoader[int, int]:
    return info.context.loaders.named("messages.counts", lambda: DataLoader(load_fn=_load_counts))


async def _load_attachments(message_ids: Sequence[int]) -> list[list[MessageAttachment]]:
    grouped: dict[int, list[MessageAttachment]] = defaultdict(list)
    for row in await MessageAttachment.filter(message_id__in=list(message_ids)).only(*ATTACHMENT_FIELDS).order_by("id"):
        grouped[row.message_id].append(row)
    return [grouped.get(message_id, []) for message_id in message_ids]


def attachments(info: Info) -> DataLoader[int, list[MessageAttachment]]:
    return info.context.loaders.named("messages.attachments", lambda: DataLoader(load_fn=_load_attachments))


async def _load_usernames(user_ids: Sequence[int]) -> list[str | None]:
    names = dict(await User.filter(id__in=list(user_ids)).values_list("id", "username"))
    return [names.get(user_id) for user_id in user_ids]


def usernames(info: Info) -> DataLoader[int, str | None]:
    return info.context.loaders.named("messages.usernames", lambda: DataLoader(load_fn=_load_usernames))


def staff_views(info: Info) -> DataLoader[MessageThread, bool]:
    """Audits a support user's view of threads once per thread per request (support.viewed_messages)."""

    def factory() -> DataLoader:
        ctx = info.context

        async def load(threads: Sequence[MessageThread]) -> list[bool]:
            await staff_actions.record(staff_actions.VIEWED, staff=ctx.user, threads=threads,
                                       clock=ctx.services.clock, origin=ctx.origin)
            return [True] * len(threads)

        return DataLoader(load_fn=load, cache_key_fn=lambda thread: thread.id)

    return info.context.loaders.named("messages.staff_views", factory)
