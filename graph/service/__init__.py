"""Service history and maintenance due in the schema (graph side of resolvers/service/)."""
