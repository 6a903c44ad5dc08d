"""Self-hosted GraphiQL page for autofin.

Strawberry's built-in GraphiQL page pulls React and GraphiQL from a public CDN,
so it stays blank on machines without internet access.  We vendor those assets
under ``graph/static/graphiql/`` (see VERSIONS.txt there) and serve them from the
app itself; the page carries no inline script, so ``script-src 'self'`` CSP works.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.staticfiles import StaticFiles

__all__ = [
    "ASSETS_URL_PREFIX",
    "GRAPHIQL_ASSETS_DIR",
    "graphiql_html",
    "static_app",
]

GRAPHIQL_ASSETS_DIR: Path = Path(__file__).resolve().parent / "static" / "graphiql"

# Where the app mounts ``static_app()``; the page references assets from here.
ASSETS_URL_PREFIX = "/graphiql-assets"

_STYLESHEETS = ("graphiql.min.css", "autofin-ide.css")
# Load order matters: GraphiQL's bundle reads the React/ReactDOM globals, and
# autofin-ide.js mounts GraphiQL.
_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "autofin-ide.js",
)


def _asset_url(name: str) -> str:
    return html.escape(f"{ASSETS_URL_PREFIX}/{name}")


def graphiql_html(
    *,
    endpoint: str,
    csrf_cookie: str,
    default_query: str,
    title: str = "autofin GraphiQL",
) -> str:
    """Return the complete GraphiQL HTML page.

    ``endpoint`` is where queries are POSTed (same origin, cookies included);
    ``csrf_cookie`` names the cookie whose value is sent as ``X-CSRF-Token``;
    ``default_query`` fills the query editor when the browser has no saved
    tabs (an empty string keeps GraphiQL's own welcome text).
    """
    attrs = [
        ("data-endpoint", endpoint),
        ("data-csrf-cookie", csrf_cookie),
    ]
    if default_query:
        attrs.append(("data-default-query", default_query))
    root_attrs = "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in attrs)
    links = "\n".join(f'    <link rel="stylesheet" href="{_asset_url(name)}">' for name in _STYLESHEETS)
    scripts = "\n".join(f'    <script src="{_asset_url(name)}"></script>' for name in _SCRIPTS)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>{html.escape(title)}</title>
    <link rel="icon" href="data:,">
{links}
  </head>
  <body>
    <div id="graphiql"{root_attrs}>
      <noscript>GraphiQL needs JavaScript.</noscript>
    </div>
{scripts}
  </body>
</html>
"""


def static_app() -> StaticFiles:
    """ASGI app serving the vendored GraphiQL assets; mount it at ASSETS_URL_PREFIX."""
    return StaticFiles(directory=GRAPHIQL_ASSETS_DIR)
