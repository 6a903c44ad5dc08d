"""The floor of the benchmarks: the dashboard served by hand over asyncpg (no GraphQL, no ORM)."""
