"""GraphQL subscriptions over WebSocket: the graphql-transport-ws protocol only, with the same
session, origin and role checks as HTTP.

- Handshake: a browser's `Origin` must be this server's own or one of AUTOFIN_CORS_ORIGINS
  (cross-site WebSocket hijacking: browsers send cookies with a WebSocket from any page and apply no
  CORS), and the client must offer the `graphql-transport-ws` subprotocol. Anything else is refused
  before the connection is accepted (HTTP 403); the legacy `graphql-ws` protocol is not spoken.
- `connection_init`: the session, as on HTTP. A bearer token as `{"authorization": "Bearer <token>"}`
  in the payload (or an `Authorization` header on the handshake, for tools); or the session cookie,
  which counts only with the session's CSRF token in the payload as `{"csrfToken": "..."}` (the
  value a page echoes in `X-CSRF-Token`). No valid FULL session: the socket is closed with 4403.
- Only subscriptions run over the socket; queries and mutations go over HTTP (where the CSRF,
  attempt counting and cookie rules live).
- Each subscription field declares its audience (`allow(...)`), checked like any root field, and
  re-checks the session at every delivery and every AUTOFIN_LIVE_SESSION_CHECK_SECONDS: when it has
  been revoked, has expired or gone idle, the socket is closed with 4401 "Session ended".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType

from auth.sessions import csrf_matches, find_session
from graph.context import Context
from models.enums import SessionKind, SessionScope
from resolvers.live.fanout import Fanout
from resolvers.live.subscriptions import LiveViewer
from service.container import Services
from service.logs import current_request_id

PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
# Close codes (4400-4499 are the protocol's own range).
SESSION_ENDED = 4401
MAX_SUBSCRIPTIONS_PER_CONNECTION = 10


@dataclass
class LiveContext(Context):
    """The context of one WebSocket connection (shared by its subscriptions)."""

    fanout: Fanout | None = None
    connection_params: dict[str, Any] | None = None
    connection_id: str = ""

    @property
    def over_websocket(self) -> bool:
        return True

    @property
    def request_id(self) -> str:
        return self.connection_id or current_request_id()

    def viewer(self) -> LiveViewer:
        assert self.user is not None and self.session is not None
        return LiveViewer(user=self.user, session_id=self.session.id, clock=self.services.clock,
                          settings=self.services.settings)

    async def end_connection(self, reason: str) -> None:
        websocket = self.request
        assert isinstance(websocket, WebSocket)
        await websocket.close(code=SESSION_ENDED, reason=reason[:120])


def new_context(websocket: WebSocket, services: Services, fanout: Fanout) -> LiveContext:
    return LiveContext(request=websocket, response=websocket, services=services,  # type: ignore[arg-type]
                       fanout=fanout, connection_id=uuid.uuid4().hex)


async def authenticate(context: LiveContext) -> None:
    """At `connection_init`: sign the connection in with its session, or refuse it (4403)."""
    params = context.connection_params or {}
    services = context.services
    settings = services.settings
    authorization = params.get("authorization") or context.request.headers.get("authorization") or ""
    session = None
    if isinstance(authorization, str) and authorization.lower().startswith("bearer "):
        session = await find_session(authorization[7:].strip(), kind=SessionKind.BEARER, clock=services.clock,
                                     settings=settings)
    else:
        token = context.request.cookies.get(context.session_cookie)
        if token:
            session = await find_session(token, kind=SessionKind.COOKIE, clock=services.clock, settings=settings)
            csrf = params.get("csrfToken")
            if session is not None and not csrf_matches(settings, session, csrf if isinstance(csrf, str) else None):
                session = None
    if session is None or session.scope != SessionScope.FULL:
        raise ConnectionRejectionError()
    context.session = session
    context.user = session.user


def operation_types(context: Any, allowed: Iterable[OperationType] | None) -> frozenset[OperationType]:
    """Over a WebSocket only subscriptions run; over HTTP everything the view allows but subscriptions."""
    if getattr(context, "over_websocket", False):
        return frozenset({OperationType.SUBSCRIPTION})
    return frozenset(allowed if allowed is not None else OperationType) - {OperationType.SUBSCRIPTION}
