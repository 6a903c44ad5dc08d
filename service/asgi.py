"""ASGI factory for uvicorn (`uvicorn service.asgi:create_app_from_env --factory`), used by
`autofin serve`, also with several worker processes."""

from starlette.applications import Starlette

from graph.app import create_app
from service.config import load_settings
from service.container import Services
from service.logs import configure_logging


def create_app_from_env() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(Services(settings))
