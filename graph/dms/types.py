"""API credentials in the schema (under `dealer { apiCredentials }`, dealer administrators only) and
what a DMS push answers with. A push answers with ids, numbers and states only: an API credential
never reads customer data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.nodes import visible_nodes
from graph.origination.types import APPLICATION_TYPE_NAME, ApplicationStatusEnum
from graph.pagination import CountedConnection, Ordering, paginate
from models import ApiCredential, CreditApplication, ServiceVisit
from models import enums as model_enums
from resolvers.dms import credentials as rules

CREDENTIAL_TYPE_NAME = "ApiCredential"
NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))
VISIT_TYPE_NAME = "ServiceVisit"  # graph/service/types.py
HEADER = "Authorization: ApiKey <keyId>.<secret>"

ApiScopeEnum = strawberry.enum(
    model_enums.ApiScope, name="ApiScope",
    description="What an API credential may do. DEALS_WRITE: push deals (`dmsPushDeal`). SERVICE_WRITE: push "
    "service visits (`dmsPushServiceVisit`).",
)


@strawberry.type(name=CREDENTIAL_TYPE_NAME, description="An API credential of your dealership's dealer management "
                 f"system (DMS), sent as `{HEADER}`. The secret is shown only when created.")
class ApiCredentialType(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="What it is for (e.g. the DMS's name).")
    key_id: str = strawberry.field(description="The public part of the key, named in every request.")
    scopes: list[ApiScopeEnum] = strawberry.field(description="What it may do.")  # type: ignore[valid-type]
    active: bool = strawberry.field(description="False once revoked: every request with it is refused.")
    created_at: datetime = strawberry.field(description="When it was created.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; null while active.")
    last_used_at: datetime | None = strawberry.field(description="When it was last used (to the minute); null when "
                                                     "never.")

    @classmethod
    def from_model(cls, row: ApiCredential) -> ApiCredentialType:
        return cls(id=row.id, name=row.name, key_id=row.key_id,
                   scopes=[model_enums.ApiScope(s) for s in row.scopes or ()], active=row.revoked_at is None,
                   created_at=row.created_at, revoked_at=row.revoked_at, last_used_at=row.last_used_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.credentials_visible_to(info.context.user), node_ids, cls.from_model,
                                   required)


@strawberry.type(name="ApiCredentialConnection", description="A page of API credentials.")
class ApiCredentialConnection(CountedConnection[ApiCredentialType]):
    pass


async def dealership_credentials(info: Info, *, first: int | None, after: str | None, last: int | None,
                                 before: str | None) -> ApiCredentialConnection:
    """The caller's dealership's credentials, newest first (DealerDesk.apiCredentials)."""
    return await paginate(ApiCredentialConnection, rules.credentials_visible_to(info.context.user), NEWEST_FIRST,
                          ApiCredentialType.from_model, first=first, after=after, last=last, before=before)


@strawberry.type(name="DmsApplication", description="The credit application a pushed deal became (its number and "
                 "state only; the dealer desk shows the rest).")
class DmsApplicationType:
    id: strawberry.ID = strawberry.field(description="The application's global id (as the dealer desk knows it).")
    number: str = strawberry.field(description="The application number.")
    status: ApplicationStatusEnum = strawberry.field(description="Where the application is.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, row: CreditApplication) -> DmsApplicationType:
        return cls(id=strawberry.ID(relay.to_base64(APPLICATION_TYPE_NAME, row.id)), number=row.number,
                   status=row.status, created_at=row.created_at)


@strawberry.type(name="DmsServiceVisit", description="The service visit a pushed repair order became.")
class DmsServiceVisitType:
    id: strawberry.ID = strawberry.field(description="The visit's global id.")
    vin: str = strawberry.field(description="The vehicle's VIN.")
    visit_date: date = strawberry.field(description="The day of the visit.")
    odometer: int = strawberry.field(description="The odometer reading at the visit.")

    @classmethod
    def from_model(cls, row: ServiceVisit) -> DmsServiceVisitType:
        return cls(id=strawberry.ID(relay.to_base64(VISIT_TYPE_NAME, row.id)), vin=row.vehicle.vin,
                   visit_date=row.visit_date, odometer=row.odometer)
