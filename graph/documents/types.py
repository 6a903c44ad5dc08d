"""Documents in the schema: the `Document` node (statement or tax document), the connection on a
contract, and the short-lived signed download link.

Only the customers on a contract see its documents (a dealer who can see the contract cannot): a
statement is correspondence between the lender and the borrower. Lists never load the PDF bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.nodes import visible_nodes
from graph.pagination import (
    PAGE_ARGS_DESCRIPTION,
    CountedConnection,
    Ordering,
    paginate,
)
from models import Document
from models import enums as model_enums
from resolvers.servicing import documents as rules

DocumentKindEnum = strawberry.enum(
    model_enums.DocumentKind,
    name="DocumentKind",
    description="STATEMENT: the monthly statement. TAX_INTEREST_STATEMENT: a loan's annual statement of interest "
    "paid. TAX_LEASE_STATEMENT: a lease's annual statement of payments and sales tax paid.",
)

DOCUMENT_ORDER = Ordering((("period_start", True), ("id", True)))
DOCUMENTS_DESCRIPTION = (
    f"Statements and tax documents of this contract, newest period first; optionally only one `kind`. "
    f"Only the customers on the contract see them. {PAGE_ARGS_DESCRIPTION}"
)


@strawberry.type(name="Document", description="A generated PDF: a monthly statement or an annual tax document.")
class DocumentType(relay.Node):
    id: relay.NodeID[int]
    kind: DocumentKindEnum = strawberry.field(description="What the document is.")  # type: ignore[valid-type]
    title: str = strawberry.field(description='Human title, e.g. "Statement for November 2026".')
    period_start: date = strawberry.field(description="First day of the period covered.")
    period_end: date = strawberry.field(description="Last day of the period covered.")
    sha256: str = strawberry.field(description="SHA-256 of the PDF bytes (hex), to check a downloaded copy.")
    size_bytes: int = strawberry.field(description="Size of the PDF in bytes.")
    created_at: datetime = strawberry.field(description="When the document was generated (UTC).")

    @classmethod
    def from_model(cls, row: Document) -> DocumentType:
        return cls(id=row.id, kind=row.kind, title=row.title, period_start=row.period_start,
                   period_end=row.period_end, sha256=row.sha256, size_bytes=row.size_bytes, created_at=row.created_at)

    @strawberry.field(
        description="A link to download the PDF (GET, relative to the API's origin). It works for 5 minutes, only "
        "for you, and only while you are on the contract; ask for a fresh one each time. No session is needed to "
        "open it, so a browser can follow it directly."
    )
    def download_url(self, info: Info) -> str:
        return rules.signed_download_path(info.context.services, self.id, info.context.user.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        queryset = rules.documents_visible_to(info.context.user).only(*rules.LISTING_FIELDS)
        return await visible_nodes(queryset, node_ids, cls.from_model, required)


@strawberry.type(name="DocumentConnection", description="A page of documents, newest period first.")
class DocumentConnection(CountedConnection[DocumentType]):
    pass


async def contract_documents(
    info: Info, contract_id: int, kind: model_enums.DocumentKind | None, *, first: int | None, after: str | None,
    last: int | None, before: str | None,
) -> DocumentConnection:
    """The documents connection of a contract the caller can already see."""
    queryset = rules.documents_visible_to(info.context.user).filter(contract_id=contract_id)
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return await paginate(DocumentConnection, queryset.only(*rules.LISTING_FIELDS), DOCUMENT_ORDER,
                          DocumentType.from_model, first=first, after=after, last=last, before=before)
