"""Per-request context: who is calling (from the session cookie or a bearer token), their
DataLoaders, client address, and the cookie helpers of the sign-in mutations."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from auth import api_credentials
from auth.audit import Origin
from auth.sessions import csrf_matches, find_session
from graph.loaders import Loaders
from models import ApiCredential, Session, User
from models.enums import SessionKind, SessionScope
from service.container import Services
from service.logs import current_request_id

CSRF_HEADER = "x-csrf-token"


@dataclass
class Context:
    request: Request
    response: Response
    services: Services
    session: Session | None = None
    # The signed-in user of a FULL session. A staff member who still has to enrol MFA has a
    # session of scope MFA_ENROLMENT: `user` stays None and `enrolling_user` is set instead.
    user: User | None = None
    enrolling_user: User | None = None
    # A DMS signed in with `Authorization: ApiKey <keyId>.<secret>` (auth/api_credentials.py): no user, no
    # session; graph/access.py admits it only to the fields of an ApiAudience of its scopes.
    api_credential: ApiCredential | None = None
    loaders: Loaders = field(default_factory=Loaders)

    @property
    def request_id(self) -> str:
        return current_request_id()

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else ""

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("user-agent", "")[:255]

    @property
    def origin(self) -> Origin:
        return Origin(ip=self.client_ip, user_agent=self.user_agent)

    def _cookie_name(self, base: str) -> str:
        # The __Host- prefix pins a Secure cookie to this exact host and path.
        return f"__Host-{base}" if self.services.settings.cookie_secure else base

    @property
    def session_cookie(self) -> str:
        return self._cookie_name(self.services.settings.session_cookie_name)

    @property
    def csrf_cookie(self) -> str:
        return self._cookie_name(self.services.settings.csrf_cookie_name)

    def set_session_cookies(self, token: str, csrf: str) -> None:
        settings = self.services.settings
        max_age = settings.session_absolute_hours * 3600
        common = dict(max_age=max_age, path="/", secure=settings.cookie_secure, samesite="lax")
        self.response.set_cookie(self.session_cookie, token, httponly=True, **common)
        # Readable by the page's script, which echoes it in the X-CSRF-Token header.
        self.response.set_cookie(self.csrf_cookie, csrf, httponly=False, **common)

    def clear_session_cookies(self) -> None:
        for name in (self.session_cookie, self.csrf_cookie):
            self.response.delete_cookie(name, path="/", secure=self.services.settings.cookie_secure)


async def build_context(request: Request, response: Response, services: Services) -> Context:
    context = Context(request=request, response=response, services=services)
    authorization = request.headers.get("authorization", "")
    if api_credentials.is_api_key_header(authorization):  # an API credential, never with a session or cookie
        context.api_credential = await api_credentials.authenticate(authorization, clock=services.clock)
        return context
    session = await _authenticate(request, context)
    if session is not None:
        context.session = session
        if session.scope == SessionScope.MFA_ENROLMENT:
            context.enrolling_user = session.user
        else:
            context.user = session.user
            # find_session read the user's customer record with the session: `viewer { customer }` uses it.
            customer = getattr(session.user, "_customer", None)
            if customer is not None:
                context.loaders.customers.prime(customer.id, customer)
    return context


async def _authenticate(request: Request, context: Context) -> Session | None:
    services = context.services
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return await find_session(
            authorization[7:].strip(), kind=SessionKind.BEARER, clock=services.clock, settings=services.settings
        )
    token = request.cookies.get(context.session_cookie)
    if not token:
        return None
    session = await find_session(token, kind=SessionKind.COOKIE, clock=services.clock, settings=services.settings)
    # A cookie proves nothing on its own (a cross-site form could carry it): require the CSRF
    # header bound to this session, or treat the request as anonymous.
    if session is None or not csrf_matches(services.settings, session, request.headers.get(CSRF_HEADER)):
        return None
    return session
