"""User ID normalization: one canonical form, so "Jane.Doe" and "jane.doe" are the same login."""

import unicodedata


def normalize_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().casefold()
