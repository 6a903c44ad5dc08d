"""The dealer data feed in the schema: API credentials at the dealer desk, and the DMS mutations.
Thin: the rules are in resolvers/dms/ and auth/api_credentials.py."""
