"""Settings of one benchmark run: the command line, the machine, the CPU pinning and the keys.

Everything a run depends on is here and goes into the results JSON, so two runs can be compared.
"""

from __future__ import annotations

import base64
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
DEFAULT_RESULTS_DIR = BENCH_DIR / "results"
# Token files, the SQLite database, the saved portfolio and server logs (never committed).
WORK_DIR = Path(os.environ.get("BENCH_WORK_DIR") or REPO_ROOT / "var" / "bench")
VENV_BIN = Path(sys.executable).parent

WEB_SCENARIOS = ("dashboard", "scaling", "history", "login", "pay")
JOB_SCENARIOS = ("jobs",)
# Read-only scenarios first, then pay (which deletes its payments afterwards), then the jobs, which
# copy the database and need the web server stopped.
ALL_SCENARIOS = ("dashboard", "scaling", "history", "login", "pay", "jobs")

# A dedicated database on the local server, dropped and re-created per build: never the `postgres`
# database or the test suite's.
DEFAULT_POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "autofin_bench"

FULL_CUSTOMERS = 20_000
FULL_CONTRACTS = 25_000
QUICK_SCALE = 30 / FULL_CUSTOMERS  # 30 customers


@dataclass(frozen=True)
class Keys:
    """Fresh per build: the server and the portfolio builder must use the same ones (field cipher)."""

    secret_key: str = field(repr=False)
    field_encryption_key: str = field(repr=False)
    blind_index_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> Keys:
        return cls(secret_key=secrets.token_urlsafe(48),
                   field_encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
                   blind_index_key=secrets.token_urlsafe(48))

    def env(self) -> dict[str, str]:
        return {"AUTOFIN_SECRET_KEY": self.secret_key, "AUTOFIN_FIELD_ENCRYPTION_KEY": self.field_encryption_key,
                "AUTOFIN_BLIND_INDEX_KEY": self.blind_index_key}


@dataclass(frozen=True)
class Pinning:
    """Which cores the server (and PostgreSQL's share of them) and the load generator get."""

    cores: int
    server_cpus: str | None  # taskset list, None when not pinned
    client_cpus: str | None

    @classmethod
    def for_machine(cls, enabled: bool = True) -> Pinning:
        cores = os.cpu_count() or 1
        if not enabled or cores < 2 or shutil.which("taskset") is None:
            return cls(cores, None, None)
        # The load generator gets the last core, the server every other one.
        server = "0" if cores == 2 else f"0-{cores - 2}"
        return cls(cores, server, str(cores - 1))

    @property
    def server_core_count(self) -> int:
        if self.server_cpus is None:
            return self.cores
        first, _, last = self.server_cpus.partition("-")
        return int(last or first) - int(first) + 1

    def prefix(self, cpus: str | None) -> list[str]:
        return ["taskset", "-c", cpus] if cpus else []

    def describe(self) -> str:
        if self.server_cpus is None:
            return f"not pinned ({self.cores} core{'s' if self.cores != 1 else ''})"
        return f"server on CPU {self.server_cpus}, load generator on CPU {self.client_cpus} (taskset)"


@dataclass
class BenchConfig:
    db: str = "postgres"
    scale: float = 1.0
    workers: int = 1
    duration: float = 10.0  # seconds per wrk run
    connections: int = 16
    threads: int = 1
    quick: bool = False
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    postgres_server: str = DEFAULT_POSTGRES_SERVER
    results_dir: Path = DEFAULT_RESULTS_DIR
    reuse: bool = False  # keep the portfolio of the previous run when its scale and database match
    strict: bool = False  # exit 1 when a target is missed (errors always fail the run)
    login_rate: float = 20.0
    pin: bool = True
    profile: bool = False  # py-spy flame graph of the server during each measured autofin run
    pinning: Pinning = field(default_factory=Pinning.for_machine)

    @property
    def customers(self) -> int:
        return max(1, round(FULL_CUSTOMERS * self.scale))

    @property
    def contracts(self) -> int:
        return max(self.customers, round(FULL_CONTRACTS * self.scale))

    def database_url(self) -> str:
        if self.db == "sqlite":
            return f"sqlite://{WORK_DIR / 'autofin_bench.sqlite3'}"
        base, _, _ = self.postgres_server.rstrip("/").rpartition("/")
        return f"{base}/{BENCH_DATABASE}"

    def settings_summary(self) -> dict:
        return {"db": self.db, "scale": self.scale, "customers": self.customers, "contracts": self.contracts,
                "workers": self.workers, "duration_s": self.duration, "connections": self.connections,
                "wrk_threads": self.threads, "quick": self.quick, "scenarios": list(self.scenarios),
                "login_rate_per_s": self.login_rate, "pinning": self.pinning.describe(),
                "server_cpus": self.pinning.server_cpus, "client_cpus": self.pinning.client_cpus}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*args: str) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def git_revision() -> dict:
    sha = _run("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(_run("git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"))
    return {"commit": sha, "dirty": dirty}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    wrk = _run("wrk", "--version") or ""
    postgres = _run("psql", "--version")
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": memory_gib, "python": platform.python_version(),
            "platform": platform.platform(), "wrk": wrk.splitlines()[0] if wrk else "",
            "postgres_client": postgres}


def config_dict(config: BenchConfig) -> dict:
    data = asdict(config)
    data["results_dir"] = str(config.results_dir)
    data["pinning"] = asdict(config.pinning)
    data["scenarios"] = list(config.scenarios)
    return data
