"""Prometheus metrics: requests and latency by GraphQL operation name, errors by code."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from strawberry.extensions import SchemaExtension


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "autofin_http_requests", "HTTP requests by route and status.", ["route", "status"], registry=self.registry
        )
        self.operations = Counter(
            "autofin_graphql_operations", "GraphQL operations by name and type.", ["operation", "type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "autofin_graphql_operation_seconds", "GraphQL operation latency by name.", ["operation"],
            registry=self.registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter(
            "autofin_graphql_errors", "GraphQL errors by code (top-level and payload errors).", ["code"],
            registry=self.registry,
        )

    def extension(self) -> type[SchemaExtension]:
        metrics = self

        class MetricsExtension(SchemaExtension):
            def on_operation(self) -> Iterator[None]:
                started = time.perf_counter()
                yield
                context = self.execution_context
                # Named operations only, so a client cannot blow up label cardinality.
                name = (context.operation_name or "anonymous")[:64]
                kind = context.operation_type.value if context.operation_type else "unknown"
                metrics.operations.labels(name, kind).inc()
                metrics.latency.labels(name).observe(time.perf_counter() - started)
                result = context.result
                for error in getattr(result, "errors", None) or ():
                    metrics.errors.labels(str((error.extensions or {}).get("code", "UNKNOWN"))[:32]).inc()
                data = getattr(result, "data", None) or {}
                for value in data.values() if isinstance(data, dict) else ():
                    for error in (value or {}).get("errors", []) if isinstance(value, dict) else ():
                        metrics.errors.labels(str(error.get("code", "UNKNOWN"))[:32]).inc()

        return MetricsExtension
