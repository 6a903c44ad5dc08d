"""Webhook endpoints a dealership registers: register, revoke, rotate the signing secret, and what
a caller may see. Dealer administrators only (they connect their dealership's systems).

The signing secret is made here (`whsec_` + 256 random bits), shown once (in the answer to
register or rotate), and kept only encrypted (AES-256-GCM, bound to webhook_endpoints.secret), since
the worker needs it back to sign. Every change is audited; the audit holds the URL without its query
string (a receiver may put a key there).

URLs: HTTPS only. Plain http is allowed for 127.0.0.1 / localhost outside production, so a developer
(and the tests) can run a local receiver. Hosts that are IP addresses in private, loopback or
link-local ranges are refused (the worker re-checks every resolved address before each POST, see
`address_problem`): a dealer must not be able to make us call our own network.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from models import Dealership, User, WebhookDelivery, WebhookEndpoint
from models.enums import Role, WebhookDeliveryStatus
from resolvers.errors import ErrorCode, Problem
from service.config import Settings
from service.container import Services

MAX_URL_LENGTH = 500
MAX_ACTIVE_ENDPOINTS = 5  # per dealership
SECRET_PREFIX = "whsec_"
SECRET_TABLE, SECRET_COLUMN = "webhook_endpoints", "secret"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No webhook endpoint with that id.", ("endpointId",))
REVOKED_ERROR = "endpoint revoked"


@dataclass(frozen=True)
class EndpointOutcome:
    """An endpoint, with its secret when it was just made (register, rotate); or the problems."""

    endpoint: WebhookEndpoint | None = None
    secret: str | None = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def fail(cls, *problems: Problem) -> EndpointOutcome:
        return cls(problems=problems)


def endpoints_visible_to(user: User | None) -> QuerySet[WebhookEndpoint]:
    """Dealer administrators: their dealership's endpoints (revoked ones too). Everyone else: none."""
    if user is None or not user.is_active or user.role != Role.DEALER_ADMIN or user.dealership_id is None:
        return WebhookEndpoint.filter(id__in=[])
    return WebhookEndpoint.filter(dealership_id=user.dealership_id)


def deliveries_visible_to(user: User | None) -> QuerySet[WebhookDelivery]:
    """The deliveries of the endpoints `endpoints_visible_to(user)` returns."""
    if user is None or not user.is_active or user.role != Role.DEALER_ADMIN or user.dealership_id is None:
        return WebhookDelivery.filter(id__in=[])
    return WebhookDelivery.filter(endpoint__dealership_id=user.dealership_id)


def _is_local(host: str) -> bool:
    return host.lower() in LOCAL_HOSTS


def address_problem(address: str, settings: Settings) -> str | None:
    """Why we will not call this IP address (None: fine). Loopback is allowed outside production."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None  # a name: checked again once resolved
    if ip.is_loopback and not settings.is_production:
        return None
    if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return f"{address} is not a public address"
    return None


def url_problem(raw: str, settings: Settings) -> Problem | None:
    def bad(message: str) -> Problem:
        return Problem(ErrorCode.INVALID, message, ("url",))

    url = raw.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        return bad(f"Enter the endpoint's URL (at most {MAX_URL_LENGTH} characters).")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return bad("Enter a URL such as https://dms.example.com/autofin/webhooks.")
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in url):
        return bad("Enter a URL such as https://dms.example.com/autofin/webhooks.")
    if parts.username is not None or parts.password is not None:
        return bad("Do not put credentials in the URL: verify our signature instead.")
    if parts.fragment:
        return bad("A webhook URL cannot have a #fragment.")
    if parts.scheme == "http" and not (_is_local(host) and not settings.is_production):
        return bad("Webhook URLs must use https.")
    if _is_local(host) and settings.is_production:
        return bad("Webhook URLs must be reachable on the internet.")
    reason = address_problem(host, settings)
    if reason:
        return bad(f"Webhook URLs must be reachable on the internet ({reason}).")
    return None


def _audit_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _sealed(services: Services, secret: str) -> dict[str, str]:
    return {"secret_encrypted": services.cipher.encrypt(secret, table=SECRET_TABLE, column=SECRET_COLUMN),
            "secret_last4": secret[-4:]}


def secret_of(services: Services, endpoint: WebhookEndpoint) -> str:
    """The clear signing secret, for the worker only."""
    return services.cipher.decrypt(endpoint.secret_encrypted, table=SECRET_TABLE, column=SECRET_COLUMN)


def _admin_problem(user: User) -> Problem | None:
    if user.role != Role.DEALER_ADMIN or user.dealership_id is None:
        return Problem(ErrorCode.FORBIDDEN, "Only a dealership administrator manages webhook endpoints.")
    return None


async def register_endpoint(services: Services, *, user: User, origin: Origin, url: str) -> EndpointOutcome:
    problem = _admin_problem(user) or url_problem(url, services.settings)
    if problem:
        return EndpointOutcome.fail(problem)
    url = url.strip()
    secret = _new_secret()
    async with in_transaction() as connection:
        # The dealership row serializes registrations, so the limit holds with concurrent requests.
        await Dealership.filter(id=user.dealership_id).select_for_update().using_db(connection).first()
        active = WebhookEndpoint.filter(dealership_id=user.dealership_id, revoked_at=None).using_db(connection)
        if await active.filter(url=url).exists():
            return EndpointOutcome.fail(Problem(ErrorCode.CONFLICT, "This URL is already registered.", ("url",)))
        if await active.count() >= MAX_ACTIVE_ENDPOINTS:
            return EndpointOutcome.fail(Problem(
                ErrorCode.CONFLICT, f"A dealership may have at most {MAX_ACTIVE_ENDPOINTS} active endpoints; "
                "revoke one first.", ("url",)))
        endpoint = await WebhookEndpoint.create(
            using_db=connection, dealership_id=user.dealership_id, url=url, created_by=user,
            created_at=services.clock.now(), **_sealed(services, secret))
        await audit.record("webhook.endpoint_registered", clock=services.clock, origin=origin, actor=user,
                           using_db=connection, details={"endpoint_id": endpoint.id, "url": _audit_url(url),
                                                        "dealership_id": user.dealership_id})
    return EndpointOutcome(endpoint=endpoint, secret=secret)


async def _locked_endpoint(user: User, endpoint_id: int | None, connection) -> WebhookEndpoint | None:
    if endpoint_id is None:
        return None
    return await (endpoints_visible_to(user).filter(id=endpoint_id, revoked_at=None).select_for_update()
                  .using_db(connection).first())


async def revoke_endpoint(services: Services, *, user: User, origin: Origin,
                          endpoint_id: int | None) -> EndpointOutcome:
    """Stop sending to the endpoint: no new event is queued for it, and what was waiting is given up
    (FAILED, "endpoint revoked"). A revoked endpoint stays listed with its history. Revoking one that
    is already revoked is NOT_FOUND, as for one that is not yours."""
    problem = _admin_problem(user)
    if problem:
        return EndpointOutcome.fail(problem)
    now = services.clock.now()
    async with in_transaction() as connection:
        endpoint = await _locked_endpoint(user, endpoint_id, connection)
        if endpoint is None:
            return EndpointOutcome.fail(NOT_FOUND)
        endpoint.revoked_at = now
        await endpoint.save(using_db=connection, update_fields=["revoked_at"])
        dropped = await WebhookDelivery.filter(
            endpoint_id=endpoint.id, status__in=[WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SENDING],
        ).using_db(connection).update(status=WebhookDeliveryStatus.FAILED, last_error=REVOKED_ERROR,
                                      claimed_by=None, claim_expires_at=None)
        await audit.record("webhook.endpoint_revoked", clock=services.clock, origin=origin, actor=user,
                           using_db=connection, details={"endpoint_id": endpoint.id, "url": _audit_url(endpoint.url),
                                                         "deliveries_dropped": dropped})
    return EndpointOutcome(endpoint=endpoint)


async def rotate_secret(services: Services, *, user: User, origin: Origin, endpoint_id: int | None) -> EndpointOutcome:
    """A new signing secret, in force at once for every delivery from now on (retries included);
    returned this once. Rotate when the old one may have leaked."""
    problem = _admin_problem(user)
    if problem:
        return EndpointOutcome.fail(problem)
    secret = _new_secret()
    async with in_transaction() as connection:
        endpoint = await _locked_endpoint(user, endpoint_id, connection)
        if endpoint is None:
            return EndpointOutcome.fail(NOT_FOUND)
        sealed = _sealed(services, secret)
        endpoint.secret_encrypted, endpoint.secret_last4 = sealed["secret_encrypted"], sealed["secret_last4"]
        await endpoint.save(using_db=connection, update_fields=["secret_encrypted", "secret_last4"])
        await audit.record("webhook.secret_rotated", clock=services.clock, origin=origin, actor=user,
                           using_db=connection, details={"endpoint_id": endpoint.id})
    return EndpointOutcome(endpoint=endpoint, secret=secret)
