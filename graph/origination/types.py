"""The CreditApplication node and what hangs off it. Thin: the rules are in resolvers/origination/.

Several modules contribute fields here, each at its own marker below (applications, decisioning,
e-signature, funding), so the type stays one place a reader can scan."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums
from graph.errors import UserError, user_errors
from graph.esign import EnvelopeType, application_envelopes
from graph.nodes import visible_nodes
from graph.origination.application_parts import ApplicantType, ApplicationVehicleType, applicants_of
from graph.origination.deal import DealQuoteType, DealStructureType, application_quote
from graph.origination.funding import FundingType, funding_of
from graph.pagination import PAGE_ARGS_DESCRIPTION
from models import CreditApplication
from models import enums as model_enums
from resolvers.origination.applications import submission_problems
from resolvers.origination.visibility import applications_visible_to

if TYPE_CHECKING:  # lazy: these modules import this one
    from graph.coverage.types import ApplicationAddOnType
    from graph.dealers.types import DealershipType
    from graph.origination.decisions import ApplicationDecisionConnection, ApplicationDecisionType, CreditReportType

APPLICATION_TYPE_NAME = "CreditApplication"
LazyDealership = Annotated["DealershipType", strawberry.lazy("graph.dealers.types")]  # it imports this module
# Decision types live in graph/origination/decisions.py, which imports this module.
LazyDecision = Annotated["ApplicationDecisionType", strawberry.lazy("graph.origination.decisions")]
LazyDecisionConnection = Annotated["ApplicationDecisionConnection", strawberry.lazy("graph.origination.decisions")]
LazyCreditReport = Annotated["CreditReportType", strawberry.lazy("graph.origination.decisions")]

ApplicationStatusEnum = strawberry.enum(
    model_enums.ApplicationStatus, name="ApplicationStatus",
    description="DRAFT (editable) -> SUBMITTED -> APPROVED, APPROVED_WITH_CONDITIONS, COUNTER_OFFERED, REFERRED (an "
    "underwriter decides), DOCUMENTS_REQUESTED or DECLINED; WITHDRAWN by the dealer; CONTRACTED once sent for "
    "e-signature; FUNDED once signed and booked.",
)


@strawberry.type(name=APPLICATION_TYPE_NAME, description="A financing application from a dealership.")
class CreditApplicationType(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="The application number.")
    status: ApplicationStatusEnum = strawberry.field(description="Where the application is.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When the dealer started it.")
    submitted_at: datetime | None = strawberry.field(description="When it was submitted; null while a draft.")
    row: strawberry.Private[CreditApplication]

    @classmethod
    def from_model(cls, row: CreditApplication) -> CreditApplicationType:
        return cls(id=row.id, number=row.number, status=row.status, created_at=row.created_at,
                   submitted_at=row.submitted_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(applications_visible_to(info.context.user), node_ids, cls.from_model, required)

    # -- application fields (applications) --
    @strawberry.field(description="LOAN or LEASE.")
    def product(self) -> enums.ContractKind:  # type: ignore[valid-type]
        return self.row.product

    @strawberry.field(description="The applicant, then the co-applicant when there is one.")
    async def applicants(self, info: Info) -> list[ApplicantType]:
        return [ApplicantType.from_model(row) for row in await applicants_of(info, self.row.id)]

    @strawberry.field(description="The vehicle to finance or lease.")
    def vehicle(self) -> ApplicationVehicleType:
        return ApplicationVehicleType.from_model(self.row)

    @strawberry.field(description="The deal structure as the dealer entered it.")
    def deal(self) -> DealStructureType:
        return DealStructureType.from_model(self.row)

    @strawberry.field(description="Coverage products sold with the deal (financed with it); see setApplicationAddOns.")
    async def add_ons(self, info: Info) -> list[Annotated[ApplicationAddOnType, strawberry.lazy("graph.coverage.types")]]:
        from graph.coverage.types import application_add_ons

        return await application_add_ons(info, self.row.id)

    @strawberry.field(description="Estimated figures of the deal as it stands (as `dealQuote` computes them, with "
                      "the business date as the contract date); errors name the `deal` field at fault.")
    def quote(self, info: Info) -> DealQuoteType:
        return application_quote(info, self.row)

    @strawberry.field(description="What `submitCreditApplication` would refuse now, INVALID per field (VIN check "
                      "digit, term, lease terms, income, consents); empty when a draft is ready, and after "
                      "submission.")
    async def submission_problems(self, info: Info) -> list[UserError]:
        if self.row.status != model_enums.ApplicationStatus.DRAFT:
            return []
        applicants = await applicants_of(info, self.row.id)
        return user_errors(submission_problems(self.row, applicants, info.context.services.clock.today()))

    @strawberry.field(description="The dealership the application comes from.")
    async def dealership(self, info: Info) -> LazyDealership:
        from graph.dealers.types import DealershipType

        return DealershipType.from_model(await info.context.loaders.dealerships.load(self.row.dealership_id))

    @strawberry.field(description="When the application last changed.")
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field(description="When the dealer withdrew it; null otherwise.")
    def withdrawn_at(self) -> datetime | None:
        return self.row.withdrawn_at

    # -- decision fields (decisioning) --
    @strawberry.field(description="The decision in force (the latest, by the rules or an underwriter); null before "
                      "the first.")
    async def decision(self, info: Info) -> LazyDecision | None:
        from graph.origination.decisions import latest_decision

        return await latest_decision(info, self.row.id)

    @strawberry.field(description=f"Every decision on the application, newest first. {PAGE_ARGS_DESCRIPTION}")
    async def decisions(self, info: Info, first: int | None = None, after: str | None = None,
                        last: int | None = None, before: str | None = None) -> LazyDecisionConnection:
        from graph.origination.decisions import decision_history

        return await decision_history(info, self.row.id, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The applicants' credit reports, newest first. Underwriters only: null for "
                      "everyone else.")
    async def credit_reports(self, info: Info) -> list[LazyCreditReport] | None:
        from graph.origination.decisions import credit_reports

        return await credit_reports(info, self.row.id)


    # -- envelope fields (e-signature) --
    @strawberry.field(description="Contracts sent for e-signature, newest first: one per sending (a voided, declined "
                      "or expired one stays, with its trail). Few by nature, so a plain list.")
    async def envelopes(self, info: Info) -> list[EnvelopeType]:
        return await application_envelopes(info, self.row.id)

    # -- funding fields (funding) --
    @strawberry.field(description="The booking of the signed contract and the payment to the dealership; null "
                      "until the contract is signed and booked.")
    async def funding(self, info: Info) -> FundingType | None:
        return await funding_of(info, self.row.id)
