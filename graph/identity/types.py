"""The signed-in user as seen by themself."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums
from graph.dealers.types import DealershipType
from graph.nodes import visible_nodes
from graph.servicing.types import CustomerType, mask_email
from models import User


@strawberry.type(name="User", description="A login. Reach your own data through `viewer`.")
class UserType(relay.Node):
    id: relay.NodeID[int]
    username: str = strawberry.field(description="The user ID used to sign in.")
    role: enums.Role = strawberry.field(description="What this user may do.")  # type: ignore[valid-type]
    masked_email: str = strawberry.field(description="Email on file, mostly hidden (e.g. a***@example.com).")
    customer_id: strawberry.Private[int | None]
    dealership_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: User) -> UserType:
        return cls(id=row.id, username=row.username, role=row.role, masked_email=mask_email(row.email),
                   customer_id=row.customer_id, dealership_id=row.dealership_id)

    @strawberry.field(description="The customer record of a CUSTOMER user; null for staff.")
    async def customer(self, info: Info) -> CustomerType | None:
        if self.customer_id is None:
            return None
        row = await info.context.loaders.customers.load(self.customer_id)
        return CustomerType.from_model(row) if row else None

    @strawberry.field(description="The dealership of a dealer user; null for everyone else.")
    async def dealership(self, info: Info) -> DealershipType | None:
        if self.dealership_id is None:
            return None
        row = await info.context.loaders.dealerships.load(self.dealership_id)
        return DealershipType.from_model(row) if row else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        own = User.filter(id=user.id) if user else User.filter(id__in=[])
        return await visible_nodes(own, node_ids, cls.from_model, required)
