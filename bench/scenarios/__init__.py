"""Benchmark scenarios: web.py (load through HTTP) and jobs.py (the worker processes)."""
