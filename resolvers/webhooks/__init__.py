"""Webhooks for dealer systems: endpoints, signed events, durable delivery."""
