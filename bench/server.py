"""Start autofin (or the floor) as it runs in production, for the load generator to hit.

autofin: `autofin serve --workers N --no-demo` (uvicorn, N worker processes), the embedded worker
off (background work is a separate process in production; the jobs scenario runs its own), argon2's
default profile, no mail sink, log level WARNING, the run's fresh keys. It is NOT
`AUTOFIN_ENV=production`: production refuses SQLite, SMTP without TLS and the sandbox gateway,
which a benchmark on one machine needs; the process layout is production's.

The floor: `uvicorn bench.baseline.app:app --workers N` with the same database, cores and worker
count. Both are pinned with `taskset` to the server cores when the machine has two or more.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.config import REPO_ROOT, VENV_BIN, WORK_DIR, Pinning, free_port
from bench.portfolio import Portfolio

READY_TIMEOUT = 90.0


class ServerError(RuntimeError):
    pass


def autofin_env(portfolio: Portfolio, **overrides: str) -> dict[str, str]:
    """The environment of an autofin process (web or worker) on the bench database."""
    if portfolio.keys is None:
        raise ServerError("the portfolio has no keys: build it with bench.portfolio.build")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTOFIN_")}
    env.update(portfolio.keys.env())
    env.update({
        "DATABASE_URL": portfolio.db_url,
        "AUTOFIN_ENV": "development",  # production-like layout; see the module docstring
        "AUTOFIN_EMBEDDED_WORKER": "false",
        "AUTOFIN_MAIL_SINK": "false",
        "AUTOFIN_GRAPHIQL": "false",
        "AUTOFIN_INTROSPECTION": "false",
        "AUTOFIN_ARGON2_PROFILE": "default",
        "AUTOFIN_LOG_LEVEL": "WARNING",
        "AUTOFIN_VAR_DIR": str(WORK_DIR),
        "PYTHONPATH": str(REPO_ROOT),
    })
    env.update(overrides)
    return env


@dataclass
class RunningServer:
    name: str
    url: str  # base URL, e.g. http://127.0.0.1:8123
    path: str  # the endpoint wrk hits: /graphql or /dashboard
    process: subprocess.Popen
    log_path: Path

    @property
    def endpoint(self) -> str:
        return self.url + self.path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(server: RunningServer, probe: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            response = httpx.get(server.url + probe, timeout=2.0) if probe != "POST" else httpx.post(
                server.endpoint, headers={"authorization": "Bearer none"}, json={}, timeout=2.0)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise ServerError(f"{server.name} not ready after {READY_TIMEOUT:.0f} s ({last}):\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)  # the group we started: uvicorn's supervisor and its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def _spawn(name: str, command: list[str], env: dict[str, str], port: int, path: str, probe: str
           ) -> Iterator[RunningServer]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    log_path = WORK_DIR / f"{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = RunningServer(name, f"http://127.0.0.1:{port}", path, process, log_path)
    try:
        _wait_ready(server, probe)
        yield server
    finally:
        _stop(process)


@contextlib.contextmanager
def autofin_server(portfolio: Portfolio, *, workers: int, pinning: Pinning) -> Iterator[RunningServer]:
    port = free_port()
    env = autofin_env(portfolio, AUTOFIN_HOST="127.0.0.1", AUTOFIN_PORT=str(port))
    command = [*pinning.prefix(pinning.server_cpus), str(VENV_BIN / "autofin"), "serve", "--workers", str(workers),
               "--no-demo"]
    with _spawn("autofin", command, env, port, "/graphql", "/readyz") as server:
        yield server


@contextlib.contextmanager
def baseline_server(portfolio: Portfolio, *, workers: int, pinning: Pinning) -> Iterator[RunningServer]:
    if portfolio.db != "postgres":
        raise ServerError("the floor (bench/baseline) talks asyncpg: PostgreSQL only")
    port = free_port()
    env = autofin_env(portfolio)
    command = [*pinning.prefix(pinning.server_cpus), str(VENV_BIN / "uvicorn"), "bench.baseline.app:app",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
               "--no-access-log", "--no-server-header"]
    with _spawn("baseline", command, env, port, "/dashboard", "POST") as server:
        yield server
