"""`support`: the desk of SUPPORT and SUPPORT_LEAD users (api-conventions.md: staff entry points are
named by what they serve and reject every other role).

The desk is one GraphQL type merged from one class per concern, so each concern keeps its fields in
its own module. Add a concern's class to DESK_PARTS."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types
from strawberry.types import Info

from auth.permissions import SUPPORT_STAFF
from graph.access import allow
from graph.messages.lists import MessagesDesk
from graph.support.customers import CustomerDesk
from graph.support.cases import CaseDesk
from graph.support.corrections import CorrectionDesk


@strawberry.type
class DeskCore:
    @strawberry.field(description="Your role at the desk: SUPPORT, or SUPPORT_LEAD (who may approve corrections).")
    def role(self, info: Info) -> str:
        return info.context.user.role.value


DESK_PARTS: tuple = (
    DeskCore,
    CaseDesk,  # graph/support/cases.py: the case queue and one case
    CorrectionDesk,  # graph/support/corrections.py
    CustomerDesk,  # graph/support/customers.py: find a customer, open their account (audited)
    MessagesDesk,
    # -- more desk parts here --
)
SupportDesk = merge_types("SupportDesk", DESK_PARTS)
SupportDesk.__strawberry_definition__.description = (
    "The support desk: find and verify customers, work cases, propose and approve corrections, answer secure "
    "messages. Every view of a customer's data is audited and shown to the customer."
)


@strawberry.type
class SupportQuery:
    @strawberry.field(extensions=[allow(SUPPORT_STAFF)], description="The support desk (SUPPORT and SUPPORT_LEAD).")
    def support(self, info: Info) -> SupportDesk:  # type: ignore[valid-type]
        return SupportDesk()
