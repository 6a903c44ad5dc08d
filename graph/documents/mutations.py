"""Documents on demand: a past year's tax document. Thin: the rules are in resolvers/servicing/documents.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import CUSTOMERS
from graph.access import allow
from graph.documents.types import DocumentType
from graph.errors import UserError, user_errors
from graph.ids import contract_row_id
from resolvers.servicing import documents as rules


@strawberry.input(description="Which contract and which tax year.")
class RequestTaxDocumentInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of one of your contracts.")
    year: int = strawberry.field(description="A calendar year that has ended, not before the contract was signed.")


@strawberry.type(description="Result of requestTaxDocument.")
class RequestTaxDocumentPayload:
    document: DocumentType | None = strawberry.field(description="The tax document; null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(description="Why there is no document; empty on success.")


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="The annual tax document of one of your contracts for a past year (loans: interest paid; "
        "leases: payments and sales tax paid), generated if it does not exist yet. Tax documents of the previous "
        "year are also generated for everyone on January 31. A contract that is not yours: NOT_FOUND; a year that "
        "has not ended or is before the contract started: INVALID.",
    )
    async def request_tax_document(self, info: Info, input: RequestTaxDocumentInput) -> RequestTaxDocumentPayload:
        ctx = info.context
        outcome = await rules.request_tax_document(ctx.services, ctx.user, contract_row_id(input.contract_id),
                                                   input.year)
        if outcome.problems:
            return RequestTaxDocumentPayload(document=None, errors=user_errors(list(outcome.problems)))
        return RequestTaxDocumentPayload(document=DocumentType.from_model(outcome.document), errors=[])
