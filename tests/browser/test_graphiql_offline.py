"""GraphiQL works offline: every asset comes from our own server, none from a CDN.

A minimal Starlette app (not the real autofin app) serves graph.ide's page and
vendored assets plus a one-field strawberry schema; headless Chromium loads it
with every non-127.0.0.1 request blocked and recorded, runs ``{ hello }``
through GraphiQL's UI and must get ``"world"`` back.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

from graph.ide import ASSETS_URL_PREFIX, graphiql_html, static_app

CSRF_COOKIE = "autofin_csrf"
CSRF_TOKEN = "tok-123_abc"
# Characters that must be escaped inside an HTML attribute, plus a newline.
DEFAULT_QUERY = '# autofin <demo> & "quotes"\nquery Demo { hello }'
# Strict enough to prove the page needs no inline script and no outside origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
VENDORED = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "autofin-ide.js",
    "autofin-ide.css",
)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def make_app(seen_posts: list[dict[str, str]]) -> Starlette:
    graphql_app = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)

    class RecordingGraphQL:
        """Raw ASGI app (an object, so Route doesn't wrap it as a request handler)
        recording what the browser's fetcher sent, then letting strawberry answer."""

        async def __call__(self, scope, receive, send):
            seen_posts.append({k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]})
            await graphql_app(scope, receive, send)

    async def ide_page(request: Request) -> HTMLResponse:
        response = HTMLResponse(
            graphiql_html(endpoint="/graphql", csrf_cookie=CSRF_COOKIE, default_query=DEFAULT_QUERY),
            headers={"Content-Security-Policy": CSP},
        )
        response.set_cookie(CSRF_COOKIE, CSRF_TOKEN, httponly=False, samesite="strict")
        return response

    return Starlette(
        routes=[
            # GET renders our page; POST falls through (partial match) to strawberry.
            Route("/graphql", ide_page, methods=["GET"]),
            Route("/graphql", RecordingGraphQL(), methods=["POST"]),
            Mount(ASSETS_URL_PREFIX, app=static_app()),
        ]
    )


def test_graphiql_runs_a_query_offline(serve_in_thread, offline_page, run_graphiql_query):
    seen_posts: list[dict[str, str]] = []
    page = offline_page.page
    with serve_in_thread(make_app(seen_posts)) as base_url:
        # First load: the default query from data-default-query is shown verbatim.
        page.goto(base_url + "/graphql")
        page.wait_for_selector(".graphiql-query-editor .CodeMirror", state="visible", timeout=10_000)
        shown = page.eval_on_selector(".graphiql-query-editor .CodeMirror", "el => el.CodeMirror.getValue()")
        assert shown == DEFAULT_QUERY

        result = run_graphiql_query(page, base_url, "{ hello }")

    assert json.loads(result) == {"data": {"hello": "world"}}
    assert '"world"' in result

    # The offline proof: nothing left 127.0.0.1, and our assets did load from it.
    assert offline_page.outside == [], f"requests outside {base_url}: {offline_page.outside}"
    for name in VENDORED:
        assert f"{base_url}{ASSETS_URL_PREFIX}/{name}" in offline_page.requests, name
    assert offline_page.console_errors == []

    # The fetcher sent the CSRF header from the cookie, and the cookie itself.
    assert seen_posts, "GraphiQL never POSTed to /graphql"
    for headers in seen_posts:  # the introspection query and ours
        assert headers["content-type"] == "application/json"
        assert headers["x-csrf-token"] == CSRF_TOKEN
        assert f"{CSRF_COOKIE}=" in headers.get("cookie", "")


@pytest.fixture
async def async_resource():
    """Stands in for the shared conftest's async fixtures (``db`` behind ``app``)."""
    await asyncio.sleep(0)
    yield "ready"
    await asyncio.sleep(0)


def test_browser_fixtures_work_alongside_async_fixtures(
    offline_page, async_resource, serve_in_thread, run_graphiql_query
):
    # offline_page starts Playwright before the async fixture is set up, and the
    # async fixture is torn down after the page was used: both used to break.
    assert async_resource == "ready"
    with serve_in_thread(make_app([])) as base_url:
        result = run_graphiql_query(offline_page.page, base_url, "query Again { hello }")
    assert json.loads(result) == {"data": {"hello": "world"}}
    assert offline_page.outside == []
    assert offline_page.console_errors == []
