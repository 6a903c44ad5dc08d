"""Adapters to external systems that cannot run here (card/ACH processor). Each has a small
interface and a sandbox implementation that behaves like the real service's test mode."""
