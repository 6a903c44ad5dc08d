"""`analytics { ... }`: portfolio figures for ANALYST users (aggregates only; resolvers/analytics/)."""
