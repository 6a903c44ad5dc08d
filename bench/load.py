"""The load generator: wrk (Debian's package) with the Lua scripts in bench/wrk/, in its own process
pinned to the client core, against the server over loopback.

`run_wrk` returns requests/s, latency percentiles (p50/p90/p99, from wrk's own histogram) and the
counts of bad answers that the Lua script found (non-200, or a JSON body with a non-empty
`errors`). A run with any bad answer raises `LoadErrors`: a fast error is never reported as a fast
answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.config import BENCH_DIR, WORK_DIR, Pinning

LUA_DIR = BENCH_DIR / "wrk"


class LoadError(RuntimeError):
    """wrk could not run, or produced no result."""


class LoadErrors(RuntimeError):
    """The server answered with errors during a measured run."""

    def __init__(self, what: str, result: WrkResult) -> None:
        super().__init__(f"{what}: {result.bad_status} non-200 and {result.graphql_errors} GraphQL errors out of "
                         f"{result.responses} responses, {result.socket_errors} socket errors; first: "
                         f"{result.error_sample!r}")
        self.result = result


@dataclass(frozen=True)
class WrkResult:
    requests: int
    responses: int
    duration_s: float
    requests_per_s: float
    bad_status: int
    graphql_errors: int
    socket_errors: int
    timeouts: int
    latency_mean_ms: float
    latency_max_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    error_sample: str = ""

    @property
    def errors(self) -> int:
        return self.bad_status + self.graphql_errors + self.socket_errors

    def metrics(self, prefix: str = "") -> dict[str, float | int]:
        return {f"{prefix}requests_per_s": round(self.requests_per_s, 1), f"{prefix}p50_ms": round(self.p50_ms, 2),
                f"{prefix}p90_ms": round(self.p90_ms, 2), f"{prefix}p99_ms": round(self.p99_ms, 2),
                f"{prefix}requests": self.requests, f"{prefix}errors": self.errors}


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("wrk is not installed: `make bench` installs Debian's wrk (apt-get install wrk)")
    return path


def write_body(name: str, body: dict) -> Path:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"{name}.json"
    path.write_text(json.dumps(body, separators=(",", ":")))
    return path


def write_tokens(name: str, lines: list[str]) -> Path:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"{name}.tokens"
    path.write_text("".join(f"{line}\n" for line in lines))
    path.chmod(0o600)
    return path


def run_wrk(url: str, *, script: str, body_file: Path, tokens_file: Path, duration: float, connections: int,
            threads: int, pinning: Pinning, what: str, check_errors: bool = True, timeout_s: float = 10.0
            ) -> WrkResult:
    """One wrk run of `duration` seconds; raises LoadErrors on any bad answer (unless check_errors=False)."""
    threads = max(1, min(threads, connections))
    env = dict(os.environ, BENCH_LUA_DIR=str(LUA_DIR), BENCH_BODY_FILE=str(body_file),
               BENCH_TOKENS_FILE=str(tokens_file), BENCH_RUN_ID=uuid.uuid4().hex[:10])
    seconds = max(1, round(duration))
    command = [*pinning.prefix(pinning.client_cpus), wrk_path(), "-t", str(threads), "-c", str(connections),
               "-d", f"{seconds}s", "--timeout", f"{timeout_s:.0f}s", "-s", str(LUA_DIR / script), url]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 120, check=False)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("BENCH_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({what}, exit {completed.returncode}):\n{completed.stdout[-2000:]}\n"
                        f"{completed.stderr[-2000:]}")
    result = WrkResult(**json.loads(line.removeprefix("BENCH_RESULT ")))
    if result.requests == 0:
        raise LoadError(f"wrk completed no request ({what}):\n{completed.stdout[-2000:]}")
    if check_errors and result.errors:
        raise LoadErrors(what, result)
    return result
