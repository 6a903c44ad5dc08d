"""Every request limit rejects an over-limit query with an error that names the limit."""

from __future__ import annotations

from graphql import parse

from graph import limits


def _nested(levels: int) -> str:
    """A selection `levels` fields deep. The schema has no cycles, so past its natural depth
    (about 10) the inner fields are unknown; the depth limit must still be reported."""
    inner = "id"
    for i in range(levels - 1):
        inner = f"f{i} {{ {inner} }}"
    return f"{{ viewer {{ {inner} }} }}"


async def _errors(client, query: str, variables: dict | None = None) -> list[dict]:
    response = await client.post(query, variables)
    assert response.status_code == 200
    return response.json().get("errors") or []


async def test_depth_limit(client):
    natural = "{ viewer { customer { contracts { edges { node { transactions { edges { node { amount { amount } } } } } } } } } }"
    assert await _errors(client, natural) == []
    errors = await _errors(client, _nested(limits.MAX_DEPTH + 1))
    depth = [e for e in errors if "exceeds maximum operation depth" in e["message"]]
    assert len(depth) == 1
    assert f"maximum operation depth of {limits.MAX_DEPTH}" in depth[0]["message"]
    assert depth[0]["extensions"]["code"] == "BAD_REQUEST"
    within = await _errors(client, _nested(limits.MAX_DEPTH))
    assert not [e for e in within if "depth" in e["message"]]


async def test_alias_limit(client):
    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ username }}" for i in range(count)) + " }"

    assert await _errors(client, aliased(limits.MAX_ALIASES)) == []
    errors = await _errors(client, aliased(limits.MAX_ALIASES + 1))
    assert len(errors) == 1
    assert f"{limits.MAX_ALIASES} aliases" in errors[0]["message"] or "alias" in errors[0]["message"].lower()
    assert str(limits.MAX_ALIASES) in errors[0]["message"]


async def test_token_limit(client):
    errors = await _errors(client, "{ viewer { " + "username " * limits.MAX_TOKENS + "} }")
    assert len(errors) == 1
    assert f"more than {limits.MAX_TOKENS} tokens" in errors[0]["message"]


async def test_cost_limit_reads_page_sizes_from_variables(client):
    query = """query($n: Int!, $m: Int!) { viewer { customer { contracts(first: $n) { edges { node {
                 transactions(first: $m) { edges { node { amount { amount } } } } } } } } } }"""
    assert await _errors(client, query, {"n": 10, "m": 10}) == []
    errors = await _errors(client, query, {"n": 100, "m": 100})
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert f"exceeds the limit of {limits.MAX_COST}" in errors[0]["message"]
    assert errors[0]["extensions"]["cost"] > limits.MAX_COST


def test_cost_is_objects_times_page_sizes(app):
    schema = app.state.schema._schema
    document = parse("{ viewer { customer { contracts(first: 10) { edges { node { vehicle { vin } } } } } } }")
    # viewer + customer + contracts, then 10 × (edges + node + vehicle); scalars are free.
    assert limits.operation_cost(schema, document, None, {}) == 3 + 10 * 3
    unpaged = parse("{ viewer { customer { contracts { edges { node { number } } } } } }")
    assert limits.operation_cost(schema, unpaged, None, {}) == 3 + limits.DEFAULT_PAGE_SIZE * 2


def test_cost_follows_fragments(app):
    schema = app.state.schema._schema
    document = parse(
        "query { viewer { ...V } } fragment V on User { customer { contracts(first: 5) { edges { node { id } } } } }"
    )
    assert limits.operation_cost(schema, document, None, {}) == 3 + 5 * 2


async def test_over_limit_query_runs_no_resolver(client, monkeypatch):
    from graph import schema as schema_module

    called = []
    monkeypatch.setattr(schema_module.UserType, "from_model", lambda *a: called.append(a))
    query = "query($n: Int!) { viewer { customer { contracts(first: $n) { edges { node { " \
        "transactions(first: $n) { edges { node { id } } } } } } } } }"
    errors = await _errors(client, query, {"n": 100})
    assert errors and called == []
