"""The README's first command, end to end: `autofin serve` on a fresh SQLite file migrates,
loads the demo data and serves GraphiQL; a person signs in and reads their contracts in a real
headless Chromium, and nothing is fetched from outside 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60

LOGIN = """mutation SignIn {
  login(input: {username: "alice", password: "demo-password-alice"}) {
    viewer { username role }
    errors { code message }
  }
}"""
MY_CONTRACTS = """query MyContracts {
  viewer { username customer { firstName contracts(first: 10) { totalCount
    edges { node { number kind scheduledPayment { amount } vehicle { vin make } } } } } }
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    var_dir = tmp_path_factory.mktemp("serve-var")
    port = free_port()
    env = {
        **os.environ,
        "AUTOFIN_VAR_DIR": str(var_dir),
        "AUTOFIN_PORT": str(port),
        "AUTOFIN_SMTP_PORT": str(free_port()),
        "AUTOFIN_ARGON2_PROFILE": "cheapest",
    }
    env.pop("DATABASE_URL", None)
    log_path = var_dir / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=REPO, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    pytest.fail(f"autofin serve exited:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"autofin serve was not ready in {STARTUP_SECONDS} s:\n{log_path.read_text()}")
                time.sleep(0.1)  # waiting for another process to come up, not for application time
            yield base_url, log_path
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_serve_prints_graphiql_url_and_demo_logins(served):
    base_url, log_path = served
    output = log_path.read_text()
    assert f"GraphiQL:  {base_url}/graphql" in output
    assert "alice" in output and "demo-password-alice" in output
    assert (Path(log_path).parent / "autofin.sqlite3").exists()


def test_sign_in_and_read_contracts_in_graphiql(served, offline_page, run_graphiql_query):
    base_url, _ = served
    page = offline_page.page
    signed_in = json.loads(run_graphiql_query(page, base_url, LOGIN))
    assert signed_in["data"]["login"] == {"viewer": {"username": "alice", "role": "CUSTOMER"}, "errors": []}

    result = json.loads(run_graphiql_query(page, base_url, MY_CONTRACTS))
    assert "errors" not in result, result
    viewer = result["data"]["viewer"]
    assert viewer["username"] == "alice"
    contracts = viewer["customer"]["contracts"]
    assert contracts["totalCount"] >= 2
    assert {e["node"]["kind"] for e in contracts["edges"]} == {"LOAN", "LEASE"}
    assert all(len(e["node"]["vehicle"]["vin"]) == 17 for e in contracts["edges"])

    assert offline_page.outside == [], f"requests left the machine: {offline_page.outside}"
    assert offline_page.console_errors == [], offline_page.console_errors
