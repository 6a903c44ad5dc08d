"""Origination in the schema: thin types and mutations over resolvers/origination/."""
