"""Limits applied to every GraphQL request, whoever sends it.

Depth, aliases and tokens use strawberry's limiters. Cost has no built-in limiter, so
`CostLimiter` computes it here: 1 per field that returns an object, and everything below a
paginated field counts as many times as the page it asks for (`first`/`last`, or the default
page size). It runs after validation, when the variables are known, since `first: $n` is only
a number then (a cached validation result cannot see variables).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_DEPTH = 12
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_COST = 5_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

LIMITS_DESCRIPTION = (
    f"depth {MAX_DEPTH}, aliases {MAX_ALIASES}, tokens {MAX_TOKENS}, cost {MAX_COST} "
    f"(1 per object, times the page size below a connection), page size {MAX_PAGE_SIZE}"
)


class QueryTooCostly(GraphQLError):
    pass


def _page_size(field: FieldNode, arg_defs: dict[str, Any], variables: dict[str, Any]) -> int | None:
    """The page a paginated field asks for, or None for a field that is not paginated."""
    if "first" not in arg_defs and "last" not in arg_defs:
        return None
    requested = []
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        if isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
        else:
            value = value_from_ast(argument.value, arg_defs[argument.name.value].type, variables)
        if isinstance(value, int):
            requested.append(max(value, 0))
    return max(requested) if requested else DEFAULT_PAGE_SIZE


class _CostWalker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def cost(self, selection_set: SelectionSetNode | None, parent: Any, multiplier: int, seen: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                fragment_parent = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, fragment_parent, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                fragment_parent = self.schema.get_type(fragment.type_condition.name.value)
                total += self.cost(fragment.selection_set, fragment_parent, multiplier, seen | {name})
        return total

    def _field_cost(self, field: FieldNode, parent: Any, multiplier: int, seen: frozenset[str]) -> int:
        if field.selection_set is None:
            return 0  # scalars are free; objects are what cost queries
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(field.name.value)
        if definition is None:
            return multiplier  # introspection fields (__schema, __type): count the object only
        page = _page_size(field, definition.args, self.variables)
        child_type = get_named_type(definition.type)
        child_multiplier = multiplier * page if page is not None else multiplier
        return multiplier + self.cost(field.selection_set, child_type, child_multiplier, seen)


def operation_cost(schema: GraphQLSchema, document, operation_name: str | None, variables: dict | None) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    operation = operations[0]
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    return _CostWalker(schema, fragments, variables or {}).cost(operation.selection_set, root, 1, frozenset())


class CostLimiter(SchemaExtension):
    """Refuses an operation whose cost exceeds MAX_COST, before any resolver runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            cost = operation_cost(context.schema._schema, document, context.operation_name, context.variables)
            if cost > MAX_COST:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        QueryTooCostly(
                            f"Query cost {cost} exceeds the limit of {MAX_COST}. Ask for smaller pages "
                            "(first/last) or fewer nested lists.",
                            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": MAX_COST},
                        )
                    ],
                )
        yield


# The rule classes are built once: ValidationCache keys on them, and strawberry's limiter
# extensions would build new classes per request, so every validation would miss the cache.
_DEPTH_RULE = depth_rule(MAX_DEPTH, None, None)
_ALIAS_RULE = alias_rule(MAX_ALIASES)


def limit_extensions() -> list:
    """Extension factories (never shared instances: they keep per-request state)."""
    return [
        lambda: AddValidationRules([_DEPTH_RULE, _ALIAS_RULE]),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CostLimiter,
    ]
