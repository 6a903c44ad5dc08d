"""The ASGI application: /graphql (API and offline GraphiQL), /healthz, /readyz, /metrics.

Every response carries a request id (also on every log line of that request) and security
headers; CORS answers only configured SPA origins. The lifespan connects the database, refuses
to serve while migrations are pending, and runs the worker in-process in the embedded default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types.unset import UNSET
from tortoise import connections

from graph.analytics.export import download_analytics_csv
from graph.body_limit import BodyLimitMiddleware
from graph.context import CSRF_HEADER, Context, build_context
from graph.documents.download import download_document
from graph.esign_download import download_envelope_document
from graph.errors import stamp_error_codes
from graph.ide import ASSETS_URL_PREFIX, graphiql_html, static_app
from graph.live_socket import MAX_SUBSCRIPTIONS_PER_CONNECTION, PROTOCOLS, authenticate, new_context
from graph.messages.download import download_attachment
from graph.metrics import Metrics
from graph.schema import build_schema
from jobs.worker import Worker
from resolvers.live.fanout import Fanout
from service import db
from service.container import Services
from service.logs import reset_request_id, set_request_id

log = logging.getLogger("autofin.http")

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

DEFAULT_QUERY = """# Sign in first (demo logins are printed by `make serve`):
# mutation { login(input: {username: "alice", password: "demo-password-alice"}) { viewer { username } errors { code message } } }

query Dashboard {
  viewer { customer { contracts(first: 10) { edges { node {
    number kind status
    vehicle { year make model }
    balance { amount }
    nextDue { date amount { amount } }
    pastDue { amount { amount } daysPastDue bucket }
    lastPayment { effectiveDate amount { amount } }
    payoffQuote { goodThrough total { amount } perDiem { amount } }
    leaseDetails { mileage { projection { projectedMilesAtMaturity projectedExcessCharge { amount } } } }
    documents(first: 1) { edges { node { title downloadUrl } } }
  } } } } }
}
"""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class RequestContextMiddleware:
    """Request id, security headers, an access log line and HTTP metrics for every request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, hsts: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
                if not scope["path"].startswith(ASSETS_URL_PREFIX):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope["path"] if scope["path"] in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
            self.metrics.http_requests.labels(route, str(status_holder["status"])).inc()
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"][:200],
                    "status": status_holder["status"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            reset_request_id(token)


class AutofinGraphQL(GraphQL):
    """strawberry's ASGI view with our context and the offline GraphiQL page; subscriptions over
    WebSocket with graphql-transport-ws only (graph/live_socket.py)."""

    def __init__(self, schema, services: Services, fanout: Fanout) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if services.settings.graphiql else None,
            allow_queries_via_get=False,
            subscription_protocols=PROTOCOLS,
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            # A browser page may open a socket from this server's own origin or a configured SPA origin.
            allowed_origins=services.settings.cors_origins,
        )
        self.services = services
        self.fanout = fanout

    async def run(self, request, context=UNSET, root_value=UNSET):  # type: ignore[override]
        # A WebSocket from a foreign origin, or without the graphql-transport-ws subprotocol, is refused
        # before it is accepted (HTTP 403), with nothing of the application run for it.
        if self.is_websocket_request(request) and (
            not self._check_websocket_origin(request) or await self.pick_websocket_subprotocol(request) is None
        ):
            return await self.reject_websocket(request)
        return await super().run(request, context, root_value)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        if isinstance(request, WebSocket):
            return new_context(request, self.services, self.fanout)
        return await build_context(request, response, self.services)

    async def on_ws_connect(self, context):  # type: ignore[override]
        await authenticate(context)
        return UNSET

    async def process_result(self, request: Request, result) -> dict:  # type: ignore[override]
        return stamp_error_codes(await super().process_result(request, result))

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        settings = self.services.settings
        csrf_cookie = f"__Host-{settings.csrf_cookie_name}" if settings.cookie_secure else settings.csrf_cookie_name
        return HTMLResponse(graphiql_html(endpoint="/graphql", csrf_cookie=csrf_cookie, default_query=DEFAULT_QUERY))


def create_app(services: Services, *, manage_database: bool = True) -> Starlette:
    """The app. Tests pass manage_database=False and own the database connection themselves."""
    settings = services.settings
    metrics = Metrics()
    schema = build_schema(settings, metrics.extension())
    fanout = Fanout(settings)
    graphql_view = AutofinGraphQL(schema, services, fanout)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        pending = await db.pending_in_connection()
        if pending:
            return JSONResponse({"status": "unavailable", "pendingMigrations": pending}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "migrations": "applied"})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def root(request: Request) -> Response:
        return RedirectResponse("/graphql")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            pending = await db.pending_migrations(settings.database_url)
            if pending:
                raise RuntimeError(f"database has unapplied migrations {pending}: run `autofin migrate` first")
            await db.init_db(settings.database_url)
        stop = asyncio.Event()
        worker_task = None
        if settings.embedded_worker and manage_database:
            worker_task = asyncio.create_task(Worker(services).run_forever(stop))
        await fanout.start()
        try:
            yield
        finally:
            await fanout.stop()
            stop.set()
            if worker_task is not None:
                await worker_task
            if manage_database:
                await db.close_db()

    middleware = [
        Middleware(RequestContextMiddleware, metrics=metrics, hsts=settings.cookie_secure),
        Middleware(BodyLimitMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization", CSRF_HEADER, REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
            max_age=600,
        ),
    ]
    routes = [
        Route("/", root),
        Route("/graphql", graphql_view),
        WebSocketRoute("/graphql", graphql_view),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/documents/{document_id}", download_document, methods=["GET"]),
        Route("/envelope-documents/{document_id}", download_envelope_document, methods=["GET"]),
        Route("/message-attachments/{attachment_id}", download_attachment, methods=["GET"]),
        Route("/analytics-exports/{report}.csv", download_analytics_csv, methods=["GET"]),
        Mount(ASSETS_URL_PREFIX, app=static_app(), name="graphiql-assets"),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.services = services
    app.state.metrics = metrics
    app.state.schema = schema
    app.state.fanout = fanout
    return app

