"""The dealer entry point: a dealership's own contracts and customers."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import DEALER_ADMINS
from graph.access import allow
from graph.dms.types import ApiCredentialConnection, dealership_credentials
from graph.nodes import visible_nodes
from graph.origination.applications import ApplicationFilter, CreditApplicationConnection, dealership_pipeline
from graph.pagination import PAGE_ARGS_DESCRIPTION, paginate
from graph.service.types import ServiceVisitConnection, visits_page
from graph.servicing.types import CONTRACT_ORDER, ContractConnection, ContractType
from graph.webhooks import WebhookEndpointConnection, dealership_endpoints
from models import Dealership
from resolvers.servicing.visibility import contracts_visible_to


@strawberry.type(name="Dealership", description="A dealership that originates contracts.")
class DealershipType(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="The dealership's code at the finance company.")
    name: str = strawberry.field(description="Trading name.")
    city: str = strawberry.field(description="City.")
    state: str = strawberry.field(description="Two-letter state code.")
    phone: str = strawberry.field(description="Main phone number.")

    @classmethod
    def from_model(cls, row: Dealership) -> DealershipType:
        return cls(id=row.id, code=row.code, name=row.name, city=row.city, state=row.state, phone=row.phone)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        own = Dealership.filter(id=user.dealership_id) if user and user.dealership_id else Dealership.filter(id__in=[])
        return await visible_nodes(own, node_ids, cls.from_model, required)


@strawberry.type(description="What a dealer user works with: their dealership and its contracts.")
class DealerDesk:
    dealership_id: strawberry.Private[int]

    @strawberry.field(description="The caller's dealership.")
    async def dealership(self, info: Info) -> DealershipType:
        return DealershipType.from_model(await info.context.loaders.dealerships.load(self.dealership_id))

    @strawberry.field(description=f"Contracts originated by this dealership, newest first. {PAGE_ARGS_DESCRIPTION}")
    async def contracts(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> ContractConnection:
        return await paginate(ContractConnection, contracts_visible_to(info.context.user), CONTRACT_ORDER,
                              ContractType.from_model, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The dealership's financing applications (the pipeline), newest first, by status "
                      f"and creation date. {PAGE_ARGS_DESCRIPTION}")
    async def applications(
        self, info: Info, filter: ApplicationFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CreditApplicationConnection:
        return await dealership_pipeline(info, filter, first=first, after=after, last=last, before=before)

    @strawberry.field(extensions=[allow(DEALER_ADMINS)],
                      description="Your dealership's webhook endpoints (revoked ones too), newest first, with their "
                      f"deliveries. Dealer administrators only. {PAGE_ARGS_DESCRIPTION}")
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> WebhookEndpointConnection:
        return await dealership_endpoints(info, first=first, after=after, last=last, before=before)

    @strawberry.field(extensions=[allow(DEALER_ADMINS)],
                      description="Your dealership's API credentials for its DMS (revoked ones too), newest first, "
                      f"without their secrets. Dealer administrators only. {PAGE_ARGS_DESCRIPTION}")
    async def api_credentials(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> ApiCredentialConnection:
        return await dealership_credentials(info, first=first, after=after, last=last, before=before)

    @strawberry.field(description="Service visits your dealership recorded (by hand or through its DMS), newest first, "
                      f"optionally for one VIN. {PAGE_ARGS_DESCRIPTION}")
    async def service_visits(
        self, info: Info, vin: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> ServiceVisitConnection:
        return await visits_page(info, vin=vin, first=first, after=after, last=last, before=before)
