"""The login storm's load generator: `python -m bench.storm --url URL --users FILE --rate 20 --duration S`.

wrk's request rate is not fixed (it sends as fast as answers come), so the storm is this small
open-loop client in its own process: one `login` (mode BEARER, argon2id on the server) every
1/rate seconds whatever the answers do, at most MAX_IN_FLIGHT outstanding (past that an attempt
is counted as dropped, not queued). It prints one JSON line: attempted, completed, achieved rate,
p50/p99 latency and the bad answers (non-200, a non-empty `errors`, or no token).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

import httpx

LOGIN = ("mutation Login($u: String!, $p: String!) { login(input: {username: $u, password: $p, mode: BEARER}) "
         "{ nextStep token errors { code message } } }")
MAX_IN_FLIGHT = 200
TIMEOUT_S = 30.0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def storm(url: str, users: list[tuple[str, str]], rate: float, duration: float) -> dict:
    latencies: list[float] = []
    counts = {"attempted": 0, "completed": 0, "dropped": 0, "bad_status": 0, "graphql_errors": 0, "no_token": 0,
              "transport_errors": 0}
    sample: list[str] = []
    in_flight: set[asyncio.Task] = set()
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=32)

    async with httpx.AsyncClient(timeout=TIMEOUT_S, limits=limits) as client:
        async def one(index: int) -> None:
            username, password = users[index % len(users)]
            started = time.perf_counter()
            try:
                response = await client.post(url, json={"query": LOGIN, "variables": {"u": username, "p": password}},
                                             headers={"user-agent": "autofin-bench-storm/1.0"})
            except httpx.HTTPError as exc:
                counts["transport_errors"] += 1
                sample.append(type(exc).__name__)
                return
            latencies.append((time.perf_counter() - started) * 1000)
            counts["completed"] += 1
            if response.status_code != 200:
                counts["bad_status"] += 1
                sample.append(f"HTTP {response.status_code}")
                return
            body = response.json()
            payload = (body.get("data") or {}).get("login") or {}
            if body.get("errors") or payload.get("errors"):
                counts["graphql_errors"] += 1
                sample.append(json.dumps(body)[:300])
            elif not payload.get("token"):
                counts["no_token"] += 1
                sample.append(json.dumps(body)[:300])

        interval = 1.0 / rate
        start = time.perf_counter()
        index = 0
        while True:
            due = start + index * interval
            now = time.perf_counter()
            if due - start >= duration:
                break
            if due > now:
                await asyncio.sleep(due - now)
            counts["attempted"] += 1
            if len(in_flight) >= MAX_IN_FLIGHT:
                counts["dropped"] += 1
            else:
                task = asyncio.create_task(one(index))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            index += 1
        sent_for = time.perf_counter() - start
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=TIMEOUT_S + 5)
        elapsed = time.perf_counter() - start
    errors = (counts["bad_status"] + counts["graphql_errors"] + counts["no_token"] + counts["transport_errors"]
              + counts["dropped"])
    return {**counts, "errors": errors, "target_rate_per_s": rate, "sent_for_s": round(sent_for, 2),
            "elapsed_s": round(elapsed, 2), "achieved_rate_per_s": round(counts["completed"] / elapsed, 2),
            "p50_ms": round(percentile(latencies, 50), 1), "p99_ms": round(percentile(latencies, 99), 1),
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0, "error_sample": sample[:3]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--users", required=True, help="file of 'username<TAB>password' lines")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    with open(args.users) as handle:
        users = [tuple(line.rstrip("\n").split("\t", 1)) for line in handle if line.strip()]
    result = asyncio.run(storm(args.url, users, args.rate, args.duration))
    sys.stdout.write("STORM_RESULT " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
