"""The one schema: root fields per domain, each declaring who may call it, and the extensions
every request passes through (limits, error masking, metrics, parse and validation caches)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import DisableIntrospection, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import Info

from auth.permissions import DEALERS, EVERYONE, SIGNED_IN, SUPPORT_STAFF
from graph.access import allow
from graph.analytics.desk import AnalyticsQuery
from graph.autopay import AutopayMutations
from graph.coverage.mutations import CoverageMutations
from graph.coverage.types import CoverageType
from graph.dealers.types import DealerDesk, DealershipType
from graph.dealers.users import DealershipUserMutations, DealershipUserQuery
from graph.dms.mutations import DmsMutations
from graph.dms.types import ApiCredentialType
from graph.documents.mutations import DocumentMutations
from graph.documents.types import DocumentType
from graph.errors import MaskUnexpectedErrors, log_unexpected_errors
from graph.esign import EnvelopeDocumentType, EnvelopeType, EsignMutations, EsignQuery
from graph.identity.account import AccountMutations
from graph.identity.account_types import SecurityEventType, SessionType
from graph.identity.mfa import MfaMutations
from graph.identity.mutations import IdentityMutations, LoginChallenge, login_challenge
from graph.identity.recovery import RecoveryMutations
from graph.identity.registration import RegistrationMutations
from graph.identity.staff import StaffMutations
from graph.identity.types import UserType
from graph.limits import limit_extensions
from graph.live import Subscription
from graph.live_socket import operation_types
from graph.messages.mutations import MessageMutations
from graph.messages.types import (
    MessageAttachmentType,
    MessageThreadType,
    SecureMessageType,
)
from graph.nodes import MAX_NODES
from graph.notifications import NotificationMutations, NotificationType
from graph.origination.applications import ApplicationMutations
from graph.origination.deal import DealQuoteQuery
from graph.origination.decisions import (
    ApplicationDecisionType,
    CreditReportType,
    UnderwritingMutations,
    UnderwritingQuery,
)
from graph.origination.onboarding import OnboardingMutations, OnboardingQuery
from graph.origination.types import CreditApplicationType
from graph.pagination import PAGE_ARGS_DESCRIPTION, paginate
from graph.payments.methods import PaymentMethodMutations, PaymentMethodType
from graph.payments.mutations import PaymentMutations
from graph.payments.types import PaymentType
from graph.service.mutations import ServiceMutations
from graph.service.types import ServiceVisitType
from graph.servicing.compare import BuyVsLeaseInput, BuyVsLeaseResult
from graph.servicing.compare import compare as compare_buy_vs_lease
from graph.servicing.mutations import ServicingMutations
from graph.servicing.plan_changes import (
    OLDEST_FIRST,
    PlanChangeMutations,
    PlanChangeRequestConnection,
    PlanChangeRequestType,
    PlanChangeStatusEnum,
    requests_query,
)
from graph.servicing.types import (
    ContractType,
    CustomerType,
    LedgerTransactionType,
    VehicleType,
)
from graph.support.cases import CaseMutations, CaseNoteType, CaseType
from graph.support.corrections import CorrectionMutations, LedgerCorrectionType
from graph.support.account import SupportAccountMutations
from graph.support.desk import SupportQuery
from graph.support.verification import SupportVerificationMutations
from graph.webhooks import WebhookDeliveryType, WebhookEndpointType, WebhookMutations
from models.enums import PlanChangeStatus
from resolvers.errors import ClientFacingError, ErrorCode
from service.config import Settings

NODE_TYPES = [UserType, CustomerType, ContractType, VehicleType, LedgerTransactionType, DealershipType]
NODE_TYPES += [SessionType, SecurityEventType]  # resolve_nodes: the viewer's own rows only
NODE_TYPES += [DocumentType]  # resolve_nodes: documents of contracts the viewer is a customer on
NODE_TYPES += [PaymentMethodType, NotificationType]  # resolve_nodes: the viewer's own rows only
NODE_TYPES += [PaymentType]  # resolve_nodes: payments of contracts the viewer is a customer on
NODE_TYPES += [PlanChangeRequestType]  # resolve_nodes: requests on the viewer's contracts; support: all
NODE_TYPES += [CreditApplicationType]  # resolve_nodes: own dealership; underwriters: submitted ones
NODE_TYPES += [WebhookEndpointType, WebhookDeliveryType]  # resolve_nodes: dealer admins, own dealership
NODE_TYPES += [ApplicationDecisionType]  # resolve_nodes: decisions of applications the viewer may see
NODE_TYPES += [CreditReportType]  # resolve_nodes: underwriters only, reports of applications they may see
NODE_TYPES += [EnvelopeType, EnvelopeDocumentType]  # resolve_nodes: visible applications'; customers: signed
NODE_TYPES += [CaseType, CaseNoteType]  # resolve_nodes: support staff only (graph/support/cases.py)
NODE_TYPES += [LedgerCorrectionType]  # resolve_nodes: support staff only (graph/support/corrections.py)
# resolve_nodes: the thread's customer's logins and support staff (a staff fetch is audited)
NODE_TYPES += [MessageThreadType, SecureMessageType, MessageAttachmentType]
NODE_TYPES += [ApiCredentialType]  # resolve_nodes: dealer admins, own dealership (graph/dms/types.py)
NODE_TYPES += [CoverageType]  # resolve_nodes: coverages of contracts the viewer sees (customers, dealers)
# resolve_nodes: customers, visits on their vehicles (up to a closed contract's end); dealers, visits
# their dealership recorded (resolvers/service/history.py)
NODE_TYPES += [ServiceVisitType]
# -- more node types here --


async def _resolve_global_id(info: Info, gid: relay.GlobalID):
    if gid.type_name not in {t.__strawberry_definition__.name for t in NODE_TYPES}:
        return None
    return await gid.resolve_node(info, required=False)


@strawberry.type
class CoreQuery:
    @strawberry.field(extensions=[allow(EVERYONE)], description="The signed-in user, or null when signed out.")
    async def viewer(self, info: Info) -> UserType | None:
        user = info.context.user
        return UserType.from_model(user) if user else None

    @strawberry.field(
        extensions=[allow(EVERYONE)],
        description="A fresh proof-of-work challenge for `login` (needed after repeated failed sign-ins).",
    )
    def login_challenge(self, info: Info) -> LoginChallenge:
        return login_challenge(info)

    @strawberry.field(
        extensions=[allow(SIGNED_IN)],
        description="Any object by its global id, if you may see it (otherwise null, as if it did not exist).",
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        return await _resolve_global_id(info, id)

    @strawberry.field(extensions=[allow(SIGNED_IN)], description=f"Several objects by global id (at most {MAX_NODES}).")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise ClientFacingError(ErrorCode.INVALID, f"Ask for at most {MAX_NODES} ids at once.")
        return [await _resolve_global_id(info, gid) for gid in ids]

    @strawberry.field(extensions=[allow(DEALERS)], description="The dealer desk: your dealership and its contracts.")
    async def dealer(self, info: Info) -> DealerDesk:
        return DealerDesk(dealership_id=info.context.user.dealership_id)

    @strawberry.field(
        extensions=[allow(SUPPORT_STAFF)],
        description="The support queue of payment-plan change requests, oldest first, by status (default "
        f"PENDING_REVIEW). {PAGE_ARGS_DESCRIPTION}",
    )
    async def support_plan_change_requests(
        self, status: PlanChangeStatusEnum = PlanChangeStatus.PENDING_REVIEW,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> PlanChangeRequestConnection:
        return await paginate(PlanChangeRequestConnection, requests_query(status=PlanChangeStatus(status)),
                              OLDEST_FIRST, PlanChangeRequestType.from_model, first=first, after=after, last=last,
                              before=before)

    # Pure math on the caller's own figures, no stored data: open to everyone, so shoppers can compare
    # before they have an account, and dealers and customers alike (the request limits still apply).
    @strawberry.field(
        extensions=[allow(EVERYONE)],
        description="Compare buying a vehicle with a loan and leasing it, over the lease term: total cost, equity at "
        "the end, monthly difference, with the assumptions. Pure calculation on the figures you give.",
    )
    def buy_vs_lease(self, input: BuyVsLeaseInput) -> BuyVsLeaseResult:
        return compare_buy_vs_lease(input)


# Mutations by domain, merged into one Mutation type. One import and one entry per module.
MUTATION_TYPES: tuple = (
    IdentityMutations,
    AccountMutations,
    RegistrationMutations,
    RecoveryMutations,
    StaffMutations,
    MfaMutations,
    ServicingMutations,
    DocumentMutations,
    PaymentMutations,
    PaymentMethodMutations,
    NotificationMutations,
    AutopayMutations,
    PlanChangeMutations,
    WebhookMutations,
    UnderwritingMutations,
    EsignMutations,
    OnboardingMutations,
    ApplicationMutations,
    DealershipUserMutations,
    CaseMutations,
    CorrectionMutations,
    SupportVerificationMutations,
    SupportAccountMutations,
    MessageMutations,
    DmsMutations,
    CoverageMutations,
    ServiceMutations,
    # -- more mutation types here --
)
# Root query fields by domain, merged into one Query type. One import and one entry per module.
QUERY_TYPES: tuple = (
    CoreQuery,
    UnderwritingQuery,
    EsignQuery,
    OnboardingQuery,
    DealQuoteQuery,
    DealershipUserQuery,
    SupportQuery,
    AnalyticsQuery,
    # -- more query types here --
)
Query = merge_types("Query", QUERY_TYPES)
Query.__strawberry_definition__.description = (
    "Entry points. Customers start at `viewer`; staff at their desk (`dealer`, `underwriting`, ...)."
)

Mutation = merge_types("Mutation", MUTATION_TYPES)
Mutation.__strawberry_definition__.description = (
    "Changes. Each takes one `input` and returns a payload with `errors`; when `errors` is not empty, nothing changed."
)


class AutofinSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        log_unexpected_errors(errors)

    # Subscriptions run over the WebSocket only, and only subscriptions do (graph/live_socket.py).
    async def execute(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                      allowed_operation_types=None, operation_extensions=None):
        return await super().execute(query, variable_values, context_value, root_value, operation_name,
                                     operation_types(context_value, allowed_operation_types), operation_extensions)

    async def stream(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                     operation_extensions=None, allowed_operation_types=None):
        return await super().stream(query, variable_values, context_value, root_value, operation_name,
                                    operation_extensions, operation_types(context_value, allowed_operation_types))


def build_schema(settings: Settings | None = None, metrics_extension=None) -> strawberry.Schema:
    production = settings.is_production if settings else False
    introspection = settings.introspection if settings else True
    extensions: list = [*limit_extensions(), lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
    if not introspection:
        extensions.append(DisableIntrospection)
    if metrics_extension is not None:
        extensions.append(metrics_extension)
    extensions.append(MaskUnexpectedErrors)  # last: masks what the others produced
    return AutofinSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )
