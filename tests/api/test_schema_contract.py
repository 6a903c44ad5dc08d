"""The schema as a contract: committed SDL in sync, every root field declares who may call it,
and everything is documented (GraphiQL is the documentation people read)."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from graph.access import declared_audience
from graph.schema import build_schema

REPO = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_live_schema():
    committed = (REPO / "schema.graphql").read_text(encoding="utf-8")
    live = build_schema().as_str() + "\n"
    assert committed == live, "schema.graphql is stale: run `autofin export-schema -o schema.graphql` and commit it"


def test_every_root_field_declares_its_audience():
    schema = build_schema()
    missing = []
    for root in (schema.query, schema.mutation, schema.subscription):
        for field in root.__strawberry_definition__.fields:
            if declared_audience(field) is None:
                missing.append(f"{root.__strawberry_definition__.name}.{field.python_name}")
    assert missing == [], f"root fields without allow(...): {missing}"


def _undocumented(schema) -> list[str]:
    gaps = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not graphql_type.description:
            gaps.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            gaps += [f"{name}.{f}" for f, d in graphql_type.fields.items() if not d.description]
        if isinstance(graphql_type, GraphQLEnumType) and not graphql_type.description:
            gaps.append(name)
    return gaps


def test_every_type_and_field_is_described():
    assert _undocumented(build_schema()) == []
