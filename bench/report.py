"""Results: the table printed at the end, the JSON under bench/results/ and the scaling chart (PNG).

A result file is `bench/results/<UTC timestamp>-<git short sha>.json` with the settings, the machine,
the portfolio and every scenario's metrics, so runs can be compared between commits; the chart of
the same run is `scaling-<same name>.png`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class ScenarioResult:
    name: str
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    target: str = ""
    passed: bool | None = None  # None: no target, or it cannot be judged in this run
    notes: str = ""


def _format(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "-"}[passed]


def table(results: list[ScenarioResult]) -> str:
    """One row per metric; the target and verdict on each scenario's first row."""
    rows = [("scenario", "metric", "value", "target", "result")]
    for result in results:
        metrics = list(result.metrics.items()) or [("-", "")]
        for index, (name, value) in enumerate(metrics):
            first = index == 0
            rows.append((result.name if first else "", name, _format(value), result.target if first else "",
                         _verdict(result.passed) if first else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    widths[3] = min(widths[3], 60)
    lines = []
    for number, row in enumerate(rows):
        cells = [row[i][:widths[i]].ljust(widths[i]) if i != 2 else row[i].rjust(widths[i]) for i in range(5)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    notes = [f"  {r.name}: {r.notes}" for r in results if r.notes]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


# The figures that answer each target, for the summary (the full table has every metric).
SUMMARY_METRICS = {
    "dashboard": ("autofin_requests_per_s", "floor_requests_per_s", "rps_ratio", "autofin_p99_ms", "floor_p99_ms",
                  "p99_ratio", "sql_per_request"),
    "scaling": ("sql_statements", "1 contracts: p50 240/12 months", "50 contracts: p50 240/12 months",
                "1 contract x 12 months: p50_ms", "50 contracts x 12 months: p50_ms",
                "50 contracts x 240 months: p50_ms"),
    "history page": ("page1_p50_ms", "page100_p50_ms", "p50 page 100 / page 1", "sql_page1", "sql_page100"),
    "login storm": ("calm_p99_ms", "storm_p99_ms", "p99_ratio", "logins_per_s", "login_p99_ms"),
    "pay": ("payments_per_s", "p50_ms", "p99_ms", "errors"),
}


def summary(results: list[ScenarioResult]) -> list[tuple[str, str, str, str]]:
    """(scenario, key figures, target, verdict) per scenario."""
    rows = []
    for result in results:
        keys = SUMMARY_METRICS.get(result.name) or tuple(result.metrics)[:6]
        figures = "; ".join(f"{key} {_format(result.metrics[key])}" for key in keys if key in result.metrics)
        rows.append((result.name, figures, result.target, _verdict(result.passed)))
    return rows


def summary_markdown(results: list[ScenarioResult]) -> str:
    lines = ["| scenario | figures | target | result |", "|---|---|---|---|"]
    lines += [f"| {name} | {figures} | {target} | {verdict} |" for name, figures, target, verdict in summary(results)]
    return "\n".join(lines)


def markdown_table(results: list[ScenarioResult]) -> str:
    """The same table in Markdown (for the README's Performance section)."""
    lines = ["| scenario | metric | value | target | result |", "|---|---|---:|---|---|"]
    for result in results:
        for index, (name, value) in enumerate(result.metrics.items()):
            first = index == 0
            lines.append(f"| {result.name if first else ''} | {name} | {_format(value)} | "
                         f"{result.target if first else ''} | {_verdict(result.passed) if first else ''} |")
    return "\n".join(lines)


def run_name(commit: str, started: datetime | None = None) -> str:
    started = started or datetime.now(UTC)
    return f"{started:%Y%m%dT%H%M%SZ}-{commit}"


def write_json(path: Path, *, settings: dict, machine: dict, git: dict, portfolio: dict,
               results: list[ScenarioResult], started: datetime, finished: datetime, errors: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started_at": started.isoformat(), "finished_at": finished.isoformat(), "git": git, "machine": machine,
        "settings": settings, "portfolio": portfolio,
        "scenarios": [asdict(result) for result in results],
        "errors": errors,
        "passed": not errors and all(result.passed is not False for result in results),
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def scaling_chart(path: Path, points: list[dict], title: str) -> Path | None:
    """Latency (p50 and p99) against the number of contracts, one line per history length, and the
    SQL statements per request. `points`: dicts with contracts, months, p50_ms, p99_ms, statements, rows."""
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (latency_ax, sql_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for months in sorted({p["months"] for p in points}):
        series = sorted((p for p in points if p["months"] == months), key=lambda p: p["contracts"])
        xs = [p["contracts"] for p in series]
        rows = series[0].get("rows")
        label = f"{months} months" + (f" ({rows} ledger rows/contract)" if rows else "")
        latency_ax.plot(xs, [p["p50_ms"] for p in series], marker="o", label=f"p50, {label}")
        latency_ax.plot(xs, [p["p99_ms"] for p in series], marker="x", linestyle="--", label=f"p99, {label}")
        sql_ax.plot(xs, [p["statements"] for p in series], marker="o", label=label)
    latency_ax.set_xlabel("contracts on the dashboard")
    latency_ax.set_ylabel("latency (ms)")
    latency_ax.set_title("dashboard latency")
    latency_ax.grid(True, alpha=0.3)
    latency_ax.legend(fontsize=7)
    sql_ax.set_xlabel("contracts on the dashboard")
    sql_ax.set_ylabel("SQL statements per request")
    sql_ax.set_title("SQL statements per request")
    sql_ax.set_ylim(bottom=0)
    sql_ax.grid(True, alpha=0.3)
    sql_ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def load_results(path: Path) -> tuple[dict, list[ScenarioResult]]:
    document = json.loads(Path(path).read_text())
    return document, [ScenarioResult(**scenario) for scenario in document["scenarios"]]


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.report RESULTS.json [--full]`: the run as Markdown (for the README)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--full", action="store_true", help="every metric, not only the summary")
    args = parser.parse_args(argv)
    document, results = load_results(args.results)
    settings, machine, git = document["settings"], document["machine"], document["git"]
    print(f"Run {args.results.name}: commit {git['commit']}{' (+ uncommitted changes)' if git.get('dirty') else ''}, "
          f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB; {settings['db']}, scale "
          f"{settings['scale']:g} ({document['portfolio']['customers']:,} customers, "
          f"{document['portfolio']['contracts']:,} contracts, {document['portfolio']['ledger_entries']:,} ledger "
          f"entries), {settings['workers']} worker(s), {settings['duration']:g} s per run, "
          f"{settings['connections']} connections; {settings['pinning']}.")
    print()
    print(markdown_table(results) if args.full else summary_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
