"""Fetching nodes by global id, always through a queryset the caller is allowed to see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tortoise.queryset import QuerySet

from resolvers.errors import ClientFacingError, ErrorCode

MAX_NODES = 100


async def visible_nodes(
    queryset: QuerySet, node_ids: Iterable[str], to_node: Callable[[Any], Any], required: bool
) -> list[Any]:
    """Nodes for `node_ids` in order; an id outside `queryset` is None (a forbidden row and a
    missing row look the same)."""
    node_ids = list(node_ids)
    wanted = [int(i) for i in node_ids if i.isdigit()]
    rows = {str(row.id): row for row in await queryset.filter(id__in=wanted)} if wanted else {}
    result = [to_node(rows[i]) if i in rows else None for i in node_ids]
    if required and any(node is None for node in result):
        raise ClientFacingError(ErrorCode.NOT_FOUND, "No object with that id.")
    return result
