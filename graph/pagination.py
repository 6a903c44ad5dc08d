"""Relay connections paginated by keyset, not offset.

A cursor holds the sort key of its row, so a page is `WHERE (key) after (cursor) LIMIT n+1`:
it costs the same on page 1 and page 500, and rows inserted meanwhile do not shift pages.
Every ordering ends with the primary key, so keys are unique. `totalCount` is a separate
COUNT that runs only when a client asks for it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cmp_to_key
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from tortoise import fields as tfields
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from graph.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from resolvers.errors import ClientFacingError, ErrorCode

NodeT = TypeVar("NodeT")

PAGE_ARGS_DESCRIPTION = f"Pages hold at most {MAX_PAGE_SIZE} items (default {DEFAULT_PAGE_SIZE})."


@dataclass(frozen=True)
class Ordering:
    """Sort keys as (field, descending); the last one must be unique (the primary key)."""

    keys: tuple[tuple[str, bool], ...]

    def reversed(self) -> Ordering:
        return Ordering(tuple((name, not desc) for name, desc in self.keys))

    def order_by(self) -> list[str]:
        return [f"-{name}" if desc else name for name, desc in self.keys]


@strawberry.type(description="A page of a list, with cursors to fetch the next or previous page.")
class CountedConnection(relay.Connection[NodeT], Generic[NodeT]):
    _count_query: strawberry.Private[QuerySet | None] = None
    # The whole list's size when it was paged in memory (paginate_rows): no query to count it.
    _total: strawberry.Private[int | None] = None

    @strawberry.field(description="Number of items in the whole list (one extra query: ask only when needed).")
    async def total_count(self) -> int:
        if self._total is not None:
            return self._total
        return await self._count_query.count() if self._count_query is not None else len(self.edges)


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, (date, datetime)) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, model: Any, ordering: Ordering) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(raw, list) or len(raw) != len(ordering.keys):
            raise ValueError
        values = []
        for (name, _), value in zip(ordering.keys, raw, strict=True):
            field = model._meta.fields_map[name]
            if isinstance(field, tfields.DatetimeField):
                values.append(datetime.fromisoformat(value))
            elif isinstance(field, tfields.DateField):
                values.append(date.fromisoformat(value))
            elif isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            elif isinstance(value, str):
                values.append(value)
            else:
                raise ValueError
        return values
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise ClientFacingError(ErrorCode.INVALID, "The cursor is not valid for this list.") from None


def _beyond(ordering: Ordering, values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: (a > x) OR (a = x AND b > y) OR ..."""
    clauses = []
    for index, (name, desc) in enumerate(ordering.keys):
        equal = {ordering.keys[i][0]: values[i] for i in range(index)}
        clauses.append(Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": values[index]}))
    result = clauses[0]
    for clause in clauses[1:]:
        result |= clause
    return result


def _page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    if first is not None and last is not None:
        raise ClientFacingError(ErrorCode.INVALID, "Pass either first or last, not both.")
    size = first if first is not None else last
    if size is None:
        return DEFAULT_PAGE_SIZE, False
    if size < 0 or size > MAX_PAGE_SIZE:
        raise ClientFacingError(ErrorCode.INVALID, f"first/last must be between 0 and {MAX_PAGE_SIZE}.")
    return size, last is not None


async def paginate(
    connection: type[CountedConnection],
    queryset: QuerySet,
    ordering: Ordering,
    to_node: Callable[[Any], Any],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> CountedConnection:
    size, backwards = _page_size(first, last)
    model = queryset.model
    page_query = queryset
    if after is not None:
        page_query = page_query.filter(_beyond(ordering, _decode_cursor(after, model, ordering)))
    if before is not None:
        page_query = page_query.filter(_beyond(ordering.reversed(), _decode_cursor(before, model, ordering)))
    walk = ordering.reversed() if backwards else ordering
    rows = list(await page_query.order_by(*walk.order_by()).limit(size + 1)) if size else []
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    edges, page_info = page_of(rows, ordering, to_node, has_more=has_more, backwards=backwards, after=after,
                             before=before)
    return connection(edges=edges, page_info=page_info, _count_query=queryset)


def page_of(rows: Sequence[Any], ordering: Ordering, to_node: Callable[[Any], Any], *, has_more: bool,
          backwards: bool, after: str | None, before: str | None) -> tuple[list[relay.Edge], relay.PageInfo]:
    """The edges of a page's rows (in list order) and its page info, the same for both paginators."""
    edges = [
        relay.Edge(cursor=_encode_cursor([getattr(row, name) for name, _ in ordering.keys]), node=to_node(row))
        for row in rows
    ]
    page_info = relay.PageInfo(
        has_next_page=has_more if not backwards else before is not None,
        has_previous_page=has_more if backwards else after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return edges, page_info


def _compare(ordering: Ordering, left: Sequence[Any], right: Sequence[Any]) -> int:
    """-1 when `left` comes first in `ordering`, 1 when `right` does, 0 when they are equal."""
    for (_, descending), a, b in zip(ordering.keys, left, right, strict=True):
        if a != b:
            return (1 if a < b else -1) if descending else (-1 if a < b else 1)
    return 0


def paginate_rows(
    connection: type[CountedConnection],
    rows: Sequence[Any],
    ordering: Ordering,
    to_node: Callable[[Any], Any],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> CountedConnection:
    """`paginate` over rows already loaded (a short list, loaded whole by a DataLoader): the same
    cursors, pages and page info, and a totalCount that costs nothing."""
    size, backwards = _page_size(first, last)
    names = [name for name, _ in ordering.keys]

    def key(row: Any) -> list[Any]:
        return [getattr(row, name) for name in names]

    ordered = sorted(rows, key=cmp_to_key(lambda a, b: _compare(ordering, key(a), key(b))))
    if ordered and (after is not None or before is not None):
        model = type(ordered[0])
        if after is not None:
            mark = _decode_cursor(after, model, ordering)
            ordered = [row for row in ordered if _compare(ordering, key(row), mark) > 0]
        if before is not None:
            mark = _decode_cursor(before, model, ordering)
            ordered = [row for row in ordered if _compare(ordering, key(row), mark) < 0]
    has_more = len(ordered) > size
    page = (ordered[-size:] if backwards else ordered[:size]) if size else []
    edges, page_info = page_of(page, ordering, to_node, has_more=has_more, backwards=backwards, after=after,
                             before=before)
    return connection(edges=edges, page_info=page_info, _total=len(rows))
