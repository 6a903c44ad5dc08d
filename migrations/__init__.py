"""Committed schema migrations (Tortoise ORM 1.x built-in migrations)."""
