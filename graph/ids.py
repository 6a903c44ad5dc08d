"""Global ids in mutation inputs: the row id behind a `Type:id` global id, or None."""

from __future__ import annotations

from strawberry import relay

MAX_ROW_ID_DIGITS = 18  # a BIGINT


def row_id(raw: str | None, type_name: str) -> int | None:
    """The row id of a global id of `type_name`; None for anything else (answered as NOT_FOUND, so a
    malformed id, another type's id and someone else's row all look alike)."""
    if raw is None:
        return None
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:  # noqa: BLE001 - a malformed id is simply not one of yours
        return None
    if gid.type_name != type_name or not gid.node_id.isdigit() or len(gid.node_id) > MAX_ROW_ID_DIGITS:
        return None
    return int(gid.node_id)


def contract_row_id(raw: str | None) -> int | None:
    return row_id(raw, "Contract")
