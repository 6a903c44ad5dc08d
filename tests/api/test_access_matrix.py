"""Authorization as a matrix: every role (and anonymous) against every root field, and a second
customer trying every object of the first by global id.

Arguments are built from the schema itself, so a new root field is covered the day it is added:
the call may fail validation of its input (that is fine: it got past the permission check) but a
caller outside the field's declared audience must get FORBIDDEN and nothing else.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from graphql import (
    Undefined,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from auth.sessions import start_session
from graph.access import declared_audience
from graph.schema import build_schema
from models.enums import DEALER_ROLES, Role, SessionKind
from tests import factories

SCHEMA = build_schema()
GRAPHQL_SCHEMA = SCHEMA._schema


def _literal(graphql_type) -> str:
    """A syntactically valid literal for any input type (required fields only)."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _literal(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return f"[{_literal(graphql_type.of_type)}]"
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        parts = [f"{name}: {_literal(field.type)}" for name, field in graphql_type.fields.items()
                 if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined]
        return "{" + ", ".join(parts) + "}"
    if isinstance(graphql_type, GraphQLScalarType):
        return {
            "Int": "1", "Float": "1.0", "Boolean": "false", "ID": '"Q29udHJhY3Q6MQ=="', "GlobalID": '"Q29udHJhY3Q6MQ=="',
            "Date": '"2026-01-01"', "DateTime": '"2026-01-01T00:00:00+00:00"', "Decimal": '"1.00"',
        }.get(graphql_type.name, '"x"')
    raise AssertionError(f"no literal for {graphql_type}")


def _selection(graphql_type, depth: int = 0) -> str:
    named = graphql_type
    while hasattr(named, "of_type"):
        named = named.of_type
    fields = getattr(named, "fields", None)
    if not fields:
        return ""
    if depth > 0:
        return "{ __typename }"
    scalars = [n for n, f in fields.items() if not getattr(_unwrap(f.type), "fields", None) and not f.args]
    inner = " ".join(scalars[:3]) or "__typename"
    return "{ __typename " + inner + " }"


def _unwrap(graphql_type):
    while hasattr(graphql_type, "of_type"):
        graphql_type = graphql_type.of_type
    return graphql_type


def _operation(kind: str, name: str, field) -> str:
    args = [f"{arg_name}: {_literal(arg.type)}" for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined]
    call = f"{name}({', '.join(args)})" if args else name
    return f"{kind} {{ {call} {_selection(field.type)} }}"


def _root_fields():
    for kind, root, strawberry_root in (("query", GRAPHQL_SCHEMA.query_type, SCHEMA.query),
                                        ("mutation", GRAPHQL_SCHEMA.mutation_type, SCHEMA.mutation)):
        audiences = {SCHEMA.config.name_converter.from_field(f): declared_audience(f)
                     for f in strawberry_root.__strawberry_definition__.fields}
        for name, field in root.fields.items():
            yield kind, name, field, audiences[name]


ROOT_FIELDS = list(_root_fields())
CALLERS = [None, *Role]


async def _user_for(services, role: Role | None):
    if role is None:
        return None
    links = {}
    if role == Role.CUSTOMER:
        links["customer"] = await factories.customer(services)
    if role in DEALER_ROLES:
        links["dealership"] = await factories.dealership()
    return await factories.user(services, f"matrix-{role.value.lower()}", role, **links)


async def _fresh_session(client, services, user) -> None:
    """A new FULL session for each field (one field, logout, must not sign the next one out).
    Created directly: staff MFA is login's business, not this test's."""
    client.token = None
    if user is not None:
        issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock,
                                     settings=services.settings, ip="127.0.0.1", user_agent="matrix")
        client.token = issued.token


def test_every_root_field_is_in_the_matrix():
    assert len(ROOT_FIELDS) >= 5
    assert all(audience is not None for *_, audience in ROOT_FIELDS)


@pytest.mark.parametrize("role", CALLERS, ids=lambda r: r.value if r else "ANONYMOUS")
async def test_each_role_against_every_root_field(client, services, role):
    user = await _user_for(services, role)
    failures = []
    for kind, name, field, audience in ROOT_FIELDS:
        await _fresh_session(client, services, user)
        body = (await client.post(_operation(kind, name, field))).json()
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
        if audience.admits(user):
            if "FORBIDDEN" in codes or "INTERNAL" in codes:
                failures.append(f"{kind} {name}: {role} is in its audience but got {codes}: {body}")
        elif codes != {"FORBIDDEN"}:
            failures.append(f"{kind} {name}: {role} is outside its audience but got {codes or 'data'}: {body}")
    assert failures == []


async def test_an_api_credential_against_every_root_field(client, services):
    """A DMS's API credential (every scope) is no user: only the fields of an ApiAudience admit it."""
    from auth import api_credentials as keys
    from models import ApiCredential
    from models.enums import ApiScope

    dealership = await factories.dealership()
    admin = await factories.user(services, "matrix-api-admin", Role.DEALER_ADMIN, dealership=dealership)
    key_id, secret = keys.new_key_id(), keys.new_secret()
    await ApiCredential.create(dealership=dealership, name="matrix", key_id=key_id, secret_hash=keys.secret_hash(secret),
                               scopes=keys.scope_values(ApiScope), created_by=admin, created_at=services.clock.now())
    client.token = None
    failures = []
    for kind, name, field, audience in ROOT_FIELDS:
        body = (await client.post(_operation(kind, name, field),
                                  headers={"authorization": f"ApiKey {key_id}.{secret}"})).json()
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
        if isinstance(audience, keys.ApiAudience):
            if "FORBIDDEN" in codes or "INTERNAL" in codes:
                failures.append(f"{kind} {name}: the credential is in its audience but got {codes}: {body}")
        elif codes != {"FORBIDDEN"}:
            failures.append(f"{kind} {name}: an API credential got {codes or 'data'}: {body}")
    assert failures == []


def _ids(value) -> set[str]:
    """Every `id` anywhere in a response."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                found.add(item)
            else:
                found |= _ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _ids(item)
    return found


EVERYTHING_OF_MINE = """{
  viewer { id customer { id contracts(first: 10) { edges { node { id vehicle { id }
    transactions(first: 10) { edges { node { id } } }
    documents(first: 10) { edges { node { id } } } } } } }
    sessions(first: 10) { edges { node { id } } }
    securityEvents(first: 10) { edges { node { id } } } }
}"""


async def test_second_customer_cannot_fetch_any_object_of_the_first(client, services):
    dealer = await factories.dealership()
    first = await factories.customer(services)
    for _ in range(2):
        contract = await factories.loan(first, dealer)
        await factories.payment(contract, date(2026, 2, 15), "116.07", "50.00",
                                datetime(2026, 2, 15, 14, tzinfo=timezone.utc))
    await factories.user(services, "first", Role.CUSTOMER, customer=first)
    from resolvers.servicing.documents import generate_statement

    await generate_statement(services, contract, date(2026, 2, 1), date(2026, 2, 28))
    await factories.user(services, "second", Role.CUSTOMER, customer=await factories.customer(services))

    await client.login("first", factories.TEST_PASSWORD)
    ids = _ids(await client.execute(EVERYTHING_OF_MINE))
    assert len(ids) >= 11  # user, customer, 2 contracts, 2 vehicles, 2 transactions, a statement, session, events

    await client.login("second", factories.TEST_PASSWORD)
    for global_id in sorted(ids):
        data = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
        assert data["node"] is None, f"second customer reached {global_id}"
    together = await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": sorted(ids)})
    assert together["nodes"] == [None] * len(ids)
    assert _ids(await client.execute(EVERYTHING_OF_MINE)).isdisjoint(ids)


# Subscriptions run over a WebSocket (graph/live_socket.py), so they are called through a real one.
SUBSCRIPTION_FIELDS = [
    (name, field, declared_audience(strawberry_field))
    for strawberry_field in SCHEMA.subscription.__strawberry_definition__.fields
    for name, field in GRAPHQL_SCHEMA.subscription_type.fields.items()
    if name == SCHEMA.config.name_converter.from_field(strawberry_field)
]


def test_every_subscription_field_is_in_the_matrix():
    assert {name for name, *_ in SUBSCRIPTION_FIELDS} == set(GRAPHQL_SCHEMA.subscription_type.fields)
    assert all(audience is not None for *_, audience in SUBSCRIPTION_FIELDS)


async def test_each_role_outside_a_subscriptions_audience_is_refused(app, services):
    from tests.api.live.wsclient import init_refused, live_client, serve

    async with serve(app) as address:
        assert await init_refused(address, {}) == 4403  # anonymous: no connection at all
        for role in Role:
            user = await _user_for(services, role)
            issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock,
                                         settings=services.settings, ip="127.0.0.1", user_agent="matrix")
            outside = [(name, field) for name, field, audience in SUBSCRIPTION_FIELDS if not audience.admits(user)]
            if not outside:
                continue
            async with live_client(address, token=issued.token) as live:
                for name, field in outside:
                    op = await live.subscribe(_operation("subscription", name, field))
                    assert await live.error_codes(op) == ["FORBIDDEN"], (role, name)
