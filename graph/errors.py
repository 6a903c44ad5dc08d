"""How failures reach a client.

- Expected failures are `UserError`s in a mutation payload (see resolvers/errors.py).
- Client mistakes (syntax, validation, limits, permission) are top-level errors with a `code`.
- Anything else is masked: the client sees "Internal error" with a request id, and the server
  log carries the same request id with the real exception and its traceback.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import InvalidOperationTypeError

from resolvers.errors import ClientFacingError, ErrorCode, Problem
from service.logs import current_request_id

log = logging.getLogger("autofin.graphql")

ErrorCodeEnum = strawberry.enum(
    ErrorCode,
    name="ErrorCode",
    description="Stable machine-readable error codes. Clients branch on these, never on messages.",
)


@strawberry.type(description="An expected failure of a mutation. When present, nothing was changed.")
class UserError:
    code: ErrorCodeEnum = strawberry.field(description="Stable code for programs.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="What went wrong, for people.")
    field: list[str] | None = strawberry.field(description="Path of the input field at fault, if one is.")

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(code=problem.code, message=problem.message, field=list(problem.field) if problem.field else None)


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [UserError.from_problem(problem) for problem in problems]


def is_client_error(error: GraphQLError) -> bool:
    """Errors made by the request itself: no original exception, one meant for the client, or a
    GraphQL error graphql-core wrapped (e.g. a variable whose input does not coerce)."""
    original = error.original_error
    # InvalidOperationTypeError: e.g. a query sent over the subscriptions WebSocket.
    return original is None or isinstance(original, (ClientFacingError, GraphQLError, InvalidOperationTypeError))


class MaskUnexpectedErrors(MaskErrors):
    """Masks only unexpected errors, and gives every error a `code` and the request id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_client_error(error), error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_request_id()
        return GraphQLError(
            message=f"Internal error. Quote request id {request_id} when you contact support.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            original = error.original_error
            if isinstance(original, ClientFacingError):
                error.extensions = {**(error.extensions or {}), "code": original.code.value}
        return processed


def stamp_error_codes(response: dict) -> dict:
    """Give every error in an HTTP response a `code` (BAD_REQUEST unless set) and the request id,
    including parse and validation errors that never reach the execution extensions."""
    for error in response.get("errors") or ():
        extensions = error.setdefault("extensions", {})
        extensions.setdefault("code", "BAD_REQUEST")
        extensions.setdefault("requestId", current_request_id())
    return response


def log_unexpected_errors(errors: list[GraphQLError]) -> None:
    """Schema.process_errors hook: the server log gets the real exception of masked errors."""
    for error in errors:
        if is_client_error(error):
            log.info("graphql client error", extra={"error": error.message[:300]})
        else:
            original = error.original_error
            log.error(
                "unexpected error in resolver",
                exc_info=(type(original), original, original.__traceback__) if original else None,
                extra={"path": ".".join(str(p) for p in error.path or [])},
            )
