"""Live events for GraphQL subscriptions (models/live.py): publishing here, fan-out to server
processes in resolvers/live/fanout.py."""
