"""Browser-test plumbing: an ASGI app served by uvicorn in a thread, Debian's
headless Chromium driven by Playwright, and an offline guard that blocks and
records every request not aimed at 127.0.0.1.

Reusable pieces, all fixtures (so tests never import this module by name):
  chromium_path       path of the Chromium binary (skip/fail rules below)
  browser             a launched headless Chromium (one per test module)
  serve_in_thread     context manager: ``with serve_in_thread(app) as base_url``
  offline_page        a fresh page with the offline guard + console recording
  run_graphiql_query  ``run_graphiql_query(page, base_url, query) -> str``

Sync tests only; async *fixtures* (e.g. the shared ``app``/``db``) work
alongside the browser thanks to the pytest_fixture_setup hook below.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALLOWED_HOST = "127.0.0.1"
# Schemes that never touch the network (and that Playwright cannot route anyway).
_LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}

_INSTALL_HINT = "install it with `apt-get install chromium` (or set AUTOFIN_CHROMIUM to a Chromium binary)"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(message: str) -> None:
    """Skip locally, but fail in CI: a browser test that silently skips proves nothing."""
    if _in_ci():
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- asyncio
#
# Playwright's sync API runs its event loop in a greenlet of the main thread and,
# between calls, leaves that loop marked as "running" there. pytest-asyncio then
# refuses to run async fixtures ("Runner.run() cannot be called from a running
# event loop"), e.g. the shared conftest's async ``db`` behind ``app``. So while
# an async fixture of a test in this folder sets up or tears down, the marker is
# cleared, and put back afterwards for Playwright's next call.


@contextlib.contextmanager
def _playwright_loop_parked() -> Iterator[None]:
    marked = asyncio._get_running_loop()
    if marked is None:
        yield
        return
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(marked)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    func = fixturedef.func
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return (yield)
    # Finalizers run last-in first-out: park before the fixture's own teardown,
    # which pytest-asyncio registers during setup, and restore after it.
    state: dict[str, contextlib.ExitStack] = {}

    def park() -> None:
        state["stack"] = contextlib.ExitStack()
        state["stack"].enter_context(_playwright_loop_parked())

    def unpark() -> None:
        stack = state.pop("stack", None)
        if stack is not None:
            stack.close()

    fixturedef.addfinalizer(unpark)
    with _playwright_loop_parked():
        result = yield
    fixturedef.addfinalizer(park)
    return result


# --------------------------------------------------------------------------- server


@contextlib.contextmanager
def _serve_in_thread(app, *, startup_timeout: float = 10.0, **config_kwargs) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port; yield its base URL.

    The socket is bound here (port 0) and handed to uvicorn, so no other
    process can grab the port between picking and binding it.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((ALLOWED_HOST, 0))
    port = sock.getsockname()[1]
    config_kwargs.setdefault("log_config", None)  # leave pytest's logging alone
    config_kwargs.setdefault("access_log", False)
    config_kwargs.setdefault("log_level", "warning")
    config = uvicorn.Config(app, **config_kwargs)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn exited during startup (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start within {startup_timeout} s")
            time.sleep(0.01)
        yield f"http://{ALLOWED_HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


@pytest.fixture
def serve_in_thread():
    """``with serve_in_thread(app) as base_url: ...`` (extra kwargs go to uvicorn.Config)."""
    return _serve_in_thread


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    env_path = os.environ.get("AUTOFIN_CHROMIUM")
    if env_path:
        if not (os.path.isfile(env_path) and os.access(env_path, os.X_OK)):
            pytest.fail(f"AUTOFIN_CHROMIUM={env_path!r} is not an executable file", pytrace=False)
        return env_path
    path = shutil.which("chromium")
    if path is None:
        _missing(f"Chromium not found; {_INSTALL_HINT}")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Headless Chromium, one per test module.

    Module scope (not session) so Playwright's sync API, which runs its own
    event loop, is closed before any later async tests run.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the `playwright` Python package is missing; pip install 'autofin[test]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class OfflinePage:
    """A page whose non-127.0.0.1 traffic is aborted and recorded."""

    page: object  # playwright.sync_api.Page
    requests: list[str] = field(default_factory=list)  # every request URL seen
    outside: list[str] = field(default_factory=list)  # requests (or websockets) not to 127.0.0.1
    console_errors: list[str] = field(default_factory=list)  # console.error + uncaught exceptions


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    return parts.hostname == ALLOWED_HOST


@pytest.fixture
def offline_page(browser) -> Iterator[OfflinePage]:
    """A fresh context + page: requests to any host but 127.0.0.1 are aborted and
    listed in ``.outside``; console errors and page errors land in ``.console_errors``."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, service_workers="block"
    )
    page = context.new_page()
    rec = OfflinePage(page=page)

    def on_request(request) -> None:
        rec.requests.append(request.url)
        if not _is_local(request.url):
            rec.outside.append(request.url)

    def route_handler(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def on_websocket(ws) -> None:
        rec.requests.append(ws.url)
        if not _is_local(ws.url):
            rec.outside.append(ws.url)

    def on_console(msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            rec.console_errors.append(f"{msg.text} ({loc.get('url', '?')}:{loc.get('lineNumber', '?')})")

    context.on("request", on_request)
    context.route("**/*", route_handler)
    page.on("websocket", on_websocket)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: rec.console_errors.append(f"uncaught: {exc}"))
    try:
        yield rec
    finally:
        context.close()


# --------------------------------------------------------------------------- GraphiQL

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE_EDITOR = ".graphiql-response .CodeMirror"
EXECUTE_BUTTON = ".graphiql-execute-button"


def _run_graphiql_query(
    page, base_url: str, query: str, *, path: str = "/graphql", timeout_ms: float = 10_000
) -> str:
    """Open GraphiQL at ``base_url + path``, replace the query, run it and return
    the response pane's text (the JSON GraphiQL shows)."""
    page.goto(base_url + path)
    page.wait_for_selector(QUERY_EDITOR, state="visible", timeout=timeout_ms)
    # CodeMirror 5 keeps its instance on the wrapper element. setValue is
    # deterministic where typing is not (autocomplete popups, auto-closed brackets).
    page.eval_on_selector(QUERY_EDITOR, "(el, q) => { el.CodeMirror.setValue(q); el.CodeMirror.focus(); }", query)
    # GraphiQL re-parses the query (operation name, AST) in a 100 ms debounced
    # change handler; clicking Run before it fires sends the *old* operation
    # name ("Unknown operation named ..."). That handler saves the query to
    # localStorage first, so wait for the saved copy to match.
    page.wait_for_function(
        "(q) => window.localStorage.getItem('graphiql:query') === q", arg=query, timeout=timeout_ms
    )
    page.click(EXECUTE_BUTTON)
    # The response is not persisted across page loads, so after goto it starts empty.
    handle = page.wait_for_function(
        """(sel) => {
            const el = document.querySelector(sel);
            const text = el && el.CodeMirror ? el.CodeMirror.getValue() : "";
            return text.trim() ? text : null;
        }""",
        arg=RESPONSE_EDITOR,
        timeout=timeout_ms,
    )
    return handle.json_value()


@pytest.fixture
def run_graphiql_query() -> Callable[..., str]:
    """``run_graphiql_query(page, base_url, query, path="/graphql") -> str``."""
    return _run_graphiql_query
