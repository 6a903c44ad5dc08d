"""Expected failures of an operation, as data: a stable code, a human message, the input field at fault.

A resolver returns these (it does not raise them), changes nothing when it does, and the GraphQL
layer puts them in the mutation payload's `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorCode(str, Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    LOCKED = "LOCKED"
    MFA_REQUIRED = "MFA_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
    MFA_ENROLMENT_REQUIRED = "MFA_ENROLMENT_REQUIRED"
    REAUTHENTICATION_REQUIRED = "REAUTHENTICATION_REQUIRED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_TOKEN = "INVALID_TOKEN"
    INVALID_CODE = "INVALID_CODE"
    VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"  # support: no live identity verification for the case


@dataclass(frozen=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class ClientFacingError(Exception):
    """An error a client may see verbatim as a top-level GraphQL error (never masked)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
