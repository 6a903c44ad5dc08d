"""ASGI factory for uvicorn (`uvicorn service.asgi:create_app_from_env --factory`), used by
`autofin serve`, also with several worker processes.

Garbage collection, per web process: what exists once the app is built (modules, the schema) is
frozen out of the collector's scans (gc.freeze), and a young-generation collection runs every
10,000 allocations instead of 700. With the defaults a request paid about 0.4 ms of collections
and every few thousand requests a full collection stalled the process for 100-200 ms (the
dashboard's p99); measured in-process: 1.2 s of collections per 3,000 dashboards -> 0.5 s, no
full collection.
"""

import gc

from starlette.applications import Starlette

from graph.app import create_app
from service.config import load_settings
from service.container import Services
from service.logs import configure_logging

GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app_from_env() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(Services(settings))
    tune_gc()
    return app
