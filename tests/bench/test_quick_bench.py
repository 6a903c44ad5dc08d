"""The benchmark harness in its quick mode, so it does not rot (the full run is `make bench`).

- `python -m bench --quick --db sqlite --scenarios dashboard,history` builds a tiny portfolio, serves
  autofin, drives wrk and writes its results JSON: it exits 0 and the JSON has the expected keys.
- the Lua error counting: a server that answers HTTP 200 with GraphQL `errors` (top-level, or a
  mutation payload's) fails the wrk run instead of counting as fast answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.config import Pinning
from bench.load import LoadErrors, run_wrk, write_body, write_tokens

REPO = Path(__file__).resolve().parents[2]


def test_quick_run_writes_results(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--db", "sqlite", "--scenarios", "dashboard,history",
         "--results-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env=dict(os.environ, BENCH_WORK_DIR=str(tmp_path / "work")))  # not the var/bench of a real run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "cores" in completed.stdout and "pinning:" in completed.stdout  # the machine and settings are printed
    [result_file] = tmp_path.glob("*.json")
    document = json.loads(result_file.read_text())
    assert {"started_at", "git", "machine", "settings", "portfolio", "scenarios", "errors", "passed"} <= set(document)
    assert document["errors"] == []
    assert document["settings"]["db"] == "sqlite" and document["settings"]["quick"] is True
    assert document["machine"]["cores"] >= 1
    by_name = {scenario["name"]: scenario for scenario in document["scenarios"]}
    assert set(by_name) == {"dashboard", "history page"}
    dashboard = by_name["dashboard"]["metrics"]
    assert dashboard["autofin_requests_per_s"] > 0 and dashboard["autofin_errors"] == 0
    assert dashboard["autofin_p99_ms"] >= dashboard["autofin_p50_ms"] > 0
    history = by_name["history page"]["metrics"]
    assert history["page1_requests"] > 0 and history["page100_requests"] > 0
    assert history["ledger_rows"] > 100 * 50


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"{}"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _serve(body: bytes):
    handler = type("Handler", (_Canned,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("answer", "fails"), [
    (b'{"data":{"viewer":null}}', False),
    (b'{"data":{"makePayment":{"payment":{"id":"x"},"errors":[]}}}', False),
    (b'{"data":null,"errors":[{"message":"Internal error"}]}', True),
    (b'{"data":{"makePayment":{"payment":null,"errors":[{"code":"INVALID"}]}}}', True),
])
def test_wrk_counts_graphql_errors(answer, fails):
    server = _serve(answer)
    try:
        body = write_body("test-canned", {"query": "{ viewer { id } }"})
        tokens = write_tokens("test-canned", ["token-a", "token-b"])
        kwargs = {"script": "graphql.lua", "body_file": body, "tokens_file": tokens, "duration": 1, "connections": 2,
                  "threads": 1, "pinning": Pinning.for_machine(enabled=False), "what": "canned"}
        url = f"http://127.0.0.1:{server.server_address[1]}/graphql"
        if fails:
            with pytest.raises(LoadErrors) as caught:
                run_wrk(url, **kwargs)
            assert caught.value.result.graphql_errors == caught.value.result.responses > 0
        else:
            result = run_wrk(url, **kwargs)
            assert result.errors == 0 and result.requests > 0
    finally:
        server.shutdown()
