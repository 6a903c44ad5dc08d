"""Builders for the dealer data feed tests: a dealer administrator who creates credentials through
GraphQL, and a DMS client that sends `Authorization: ApiKey <keyId>.<secret>`."""

from __future__ import annotations

from dataclasses import dataclass

from models import Dealership, User
from models.enums import Role
from tests import factories
from tests.api.origination.desk import sign_in

ERRORS = "errors { code message field }"
CREATE = f"""mutation($name: String!, $scopes: [ApiScope!]!) {{ createApiCredential(input: {{name: $name, scopes: $scopes}})
  {{ credential {{ id name keyId scopes active createdAt revokedAt lastUsedAt }} secret {ERRORS} }} }}"""
REVOKE = f"""mutation($id: ID!) {{ revokeApiCredential(input: {{credentialId: $id}}) {{
  credential {{ id active revokedAt }} {ERRORS} }} }}"""
LIST = """{ dealer { apiCredentials(first: 20) { totalCount edges { node { id name keyId scopes active revokedAt
  lastUsedAt } } } } }"""
ALL_SCOPES = ["DEALS_WRITE", "SERVICE_WRITE"]


@dataclass
class Key:
    id: str  # global id
    key_id: str
    secret: str

    @property
    def header(self) -> str:
        return f"ApiKey {self.key_id}.{self.secret}"


async def admin(client, services, dealership: Dealership | None = None, username: str = "dms.admin") -> User:
    """A dealer administrator (of a new dealership by default), signed in on `client`."""
    dealership = dealership or await factories.dealership(name="Sunrise Motors")
    user = await factories.user(services, username, Role.DEALER_ADMIN, dealership=dealership)
    await sign_in(client, services, user)
    return user


async def create_key(client, name: str = "Sunrise DMS", scopes: list[str] | None = None) -> Key:
    payload = (await client.execute(CREATE, {"name": name, "scopes": scopes or ALL_SCOPES}))["createApiCredential"]
    assert payload["errors"] == [], payload
    return Key(payload["credential"]["id"], payload["credential"]["keyId"], payload["secret"])


async def as_dms(client, key: Key | str, query: str, variables: dict | None = None) -> dict:
    """The whole response body of a request signed with the key (no session)."""
    header = key.header if isinstance(key, Key) else key
    saved, client.token = client.token, None
    try:
        response = await client.post(query, variables, headers={"authorization": header})
    finally:
        client.token = saved
    assert response.status_code == 200, response.text
    return response.json()


def error_codes(body: dict) -> set:
    return {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
