"""API credentials through GraphQL: a dealer administrator creates (the secret shown once, stored only
as a hash), lists and revokes them; a revoked, wrong or unscoped key is refused at once; a key calls
nothing but the DMS mutations of its scopes; pushes are rate limited per credential."""

from __future__ import annotations

import json
from datetime import timedelta

from auth.api_credentials import LAST_USED_EVERY
from models import ApiCredential, AuditEvent
from models.enums import Role
from resolvers.dms.feed import RATE_LIMIT
from tests import factories
from tests.api.dms.builders import (
    CREATE,
    LIST,
    REVOKE,
    admin,
    as_dms,
    create_key,
    error_codes,
)
from tests.api.dms.test_deals import PUSH, push_variables
from tests.api.origination.desk import onboarded, sign_in

NODE = "query($id: ID!) { node(id: $id) { __typename ... on ApiCredential { keyId active } } }"


async def test_the_secret_is_shown_once_and_stored_only_as_a_hash(client, services):
    await admin(client, services)
    payload = (await client.execute(CREATE, {"name": "  Sunrise DMS ", "scopes": ["SERVICE_WRITE", "DEALS_WRITE",
                                                                                   "DEALS_WRITE"]}))
    payload = payload["createApiCredential"]
    assert payload["errors"] == []
    secret, credential = payload["secret"], payload["credential"]
    assert len(secret) >= 43 and "." not in secret
    assert credential["name"] == "Sunrise DMS" and credential["keyId"].startswith("dk_")
    assert credential["scopes"] == ["DEALS_WRITE", "SERVICE_WRITE"] and credential["active"] is True
    assert credential["lastUsedAt"] is None

    # The row holds no part of the secret in any column (scan every value).
    row = (await ApiCredential.all().values())[0]
    stored = json.dumps(row, default=str)
    assert secret not in stored and secret[:16] not in stored and secret[-16:] not in stored
    assert row["secret_hash"] != secret and len(row["secret_hash"]) == 64

    # Never returned again: not in the list, not by node, not in the audit log.
    listed = (await client.execute(LIST))["dealer"]["apiCredentials"]
    assert listed["totalCount"] == 1 and secret not in json.dumps(listed)
    assert listed["edges"][0]["node"]["keyId"] == credential["keyId"]
    node = (await client.execute(NODE, {"id": credential["id"]}))["node"]
    assert node == {"__typename": "ApiCredential", "keyId": credential["keyId"], "active": True}
    event = await AuditEvent.get(action="api_credential.created")
    assert secret not in json.dumps(event.details) and event.details["key_id"] == credential["keyId"]


async def test_invalid_input_creates_nothing(client, services):
    await admin(client, services)
    payload = (await client.execute(CREATE, {"name": " ", "scopes": []}))["createApiCredential"]
    assert sorted((e["code"], e["field"]) for e in payload["errors"]) == [("INVALID", ["name"]),
                                                                          ("INVALID", ["scopes"])]
    assert payload["secret"] is None and await ApiCredential.all().count() == 0
    long_name = (await client.execute(CREATE, {"name": "x" * 101, "scopes": ["DEALS_WRITE"]}))["createApiCredential"]
    assert [e["field"] for e in long_name["errors"]] == [["name"]]


async def test_only_a_dealer_admin_of_the_dealership_manages_them(client, services):
    mine = await factories.dealership()
    await admin(client, services, mine)
    key = await create_key(client)

    user = await factories.user(services, "dana", Role.DEALER_USER, dealership=mine)
    await sign_in(client, services, user)
    body = (await client.post(CREATE, {"name": "x", "scopes": ["DEALS_WRITE"]})).json()
    assert error_codes(body) == {"FORBIDDEN"}
    assert error_codes((await client.post(LIST)).json()) == {"FORBIDDEN"}

    await admin(client, services, await factories.dealership(), username="other.admin")
    assert (await client.execute(LIST))["dealer"]["apiCredentials"]["totalCount"] == 0
    assert (await client.execute(NODE, {"id": key.id}))["node"] is None
    refused = (await client.execute(REVOKE, {"id": key.id}))["revokeApiCredential"]
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    assert (await ApiCredential.get()).revoked_at is None


async def test_a_revoked_credential_is_refused_at_once(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    first = await as_dms(client, key, PUSH, push_variables(customer, "D-1"))
    assert first["data"]["dmsPushDeal"]["errors"] == []

    revoked = (await client.execute(REVOKE, {"id": key.id}))["revokeApiCredential"]
    assert revoked["errors"] == [] and revoked["credential"]["active"] is False
    event = await AuditEvent.get(action="api_credential.revoked")
    assert event.actor_id == user.id and event.details["key_id"] == key.key_id

    body = await as_dms(client, key, PUSH, push_variables(customer, "D-2"))
    assert error_codes(body) == {"FORBIDDEN"} and body["data"] is None
    again = (await client.execute(REVOKE, {"id": key.id}))["revokeApiCredential"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]
    listed = (await client.execute(LIST))["dealer"]["apiCredentials"]["edges"]
    assert [(e["node"]["active"], e["node"]["revokedAt"] is not None) for e in listed] == [(False, True)]


async def test_a_wrong_secret_or_an_unknown_key_is_refused(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    for header in (f"ApiKey {key.key_id}.{key.secret[:-1]}x", f"ApiKey dk_0000000000000000.{key.secret}",
                   f"ApiKey {key.key_id}", f"ApiKey {key.secret}", f"Bearer {key.key_id}.{key.secret}"):
        body = await as_dms(client, header, PUSH, push_variables(customer, "D-1"))
        assert error_codes(body) == {"FORBIDDEN"}, header
    assert (await ApiCredential.get()).last_used_at is None


async def test_a_credential_without_the_scope_is_refused(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client, scopes=["SERVICE_WRITE"])
    body = await as_dms(client, key, PUSH, push_variables(customer, "D-1"))
    assert error_codes(body) == {"FORBIDDEN"}
    assert "DEALS_WRITE" in body["errors"][0]["message"]


CUSTOMER_PATHS = [
    "{ viewer { id username } }",
    "{ dealer { dealership { name } contracts(first: 5) { edges { node { id } } } } }",
    "{ dealer { applications(first: 5) { edges { node { id applicants { customer { firstName } } } } } } }",
    'query { node(id: "Q3VzdG9tZXI6MQ==") { id } }',
    'query { nodes(ids: ["Q3VzdG9tZXI6MQ=="]) { id } }',
]


async def test_a_credential_reads_no_customer_data_and_calls_no_other_mutation(client, services):
    user = await admin(client, services)
    await onboarded(services, user)
    key = await create_key(client)
    for query in CUSTOMER_PATHS:
        body = await as_dms(client, key, query)
        assert error_codes(body) == {"FORBIDDEN"} and not any((body["data"] or {}).values()), query
    for mutation in ('mutation { createApiCredential(input: {name: "more", scopes: [DEALS_WRITE]}) { secret } }',
                     "mutation { logout { errors { code } } }"):
        body = await as_dms(client, key, mutation)
        assert error_codes(body) == {"FORBIDDEN"}, mutation
    assert await ApiCredential.all().count() == 1


async def test_last_used_is_written_at_most_once_a_minute(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    start = services.clock.now()
    await as_dms(client, key, PUSH, push_variables(customer, "D-1"))
    assert (await ApiCredential.get()).last_used_at == start
    services.clock.advance(timedelta(seconds=59))
    await as_dms(client, key, PUSH, push_variables(customer, "D-1"))
    assert (await ApiCredential.get()).last_used_at == start
    services.clock.advance(LAST_USED_EVERY)
    await as_dms(client, key, PUSH, push_variables(customer, "D-1"))
    assert (await ApiCredential.get()).last_used_at == services.clock.now()
    listed = (await client.execute(LIST))["dealer"]["apiCredentials"]["edges"][0]["node"]
    assert listed["lastUsedAt"] is not None


async def test_pushes_are_rate_limited_per_credential(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    other = await create_key(client, name="Second DMS")
    variables = push_variables(customer, "D-1")
    for _ in range(RATE_LIMIT):
        payload = (await as_dms(client, key, PUSH, variables))["data"]["dmsPushDeal"]
        assert payload["errors"] == []
    limited = (await as_dms(client, key, PUSH, variables))["data"]["dmsPushDeal"]
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"] and limited["application"] is None
    assert "a minute" in limited["errors"][0]["message"]
    # Another credential has its own count; a minute later the first may push again.
    assert (await as_dms(client, other, PUSH, variables))["data"]["dmsPushDeal"]["errors"] == []
    services.clock.advance(timedelta(minutes=1))
    assert (await as_dms(client, key, PUSH, variables))["data"]["dmsPushDeal"]["errors"] == []
