"""Markdown tables of bench/results/*.json against the performance targets.

    python -m bench.report > /tmp/figures.md
"""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SEARCHES = ("dossier search: exact national number", "dossier search: name prefix",
            "dossier search: state filter, deep page")
HOT_PAGES = ("dossier page", "task inbox")
UNTARGETED = ("login page",)


def _load() -> dict:
    found = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.name.startswith(("sqlite-", "postgresql-")):
            data = json.loads(path.read_text())
            found[(data["database"], data["dossiers"])] = data
    return found


def _hello(hello: dict) -> str:
    spread = (f" ({hello['rps_min']:.0f}–{hello['rps_max']:.0f})" if "rps_min" in hello
              else "")
    return f"{hello['rps']:.0f} req/s{spread}"


def _targets(name: str, database: str) -> tuple[float, float] | None:
    """The issue's targets at the largest size: (p95 in ms, share of hello's throughput).
    The pages people open most: p95 ≤ 10 ms and 10 % of hello; the searches: p95 ≤ 10 ms on
    SQLite and ≤ 15 ms on PostgreSQL, and 15 % of hello."""
    if name in UNTARGETED:
        return None
    if name in HOT_PAGES:
        return 10.0, 0.10
    return (10.0 if database == "sqlite" else 15.0), 0.15


def table(results: dict, database: str) -> str:
    sizes = sorted(size for db, size in results if db == database)
    if not sizes:
        return f"No {database} results.\n"
    small, large = results[(database, sizes[0])], results[(database, sizes[-1])]
    lines = [f"**{database}** — hello (mean of the runs beside each endpoint, min–max): "
             + ", ".join(_hello(results[(database, s)]["hello"]) + f" at {s:,}" for s in sizes),
             "",
        "| endpoint | " + " | ".join(f"{s:,}: ratio · p50 · p95 (ms)" for s in sizes)
        + f" | p50 {sizes[-1]:,} / {sizes[0]:,} | targets at {sizes[-1]:,} |",
        "|---|" + "---|" * (len(sizes) + 2)]
    for endpoint in small["endpoints"]:
        name = endpoint["name"]
        cells = []
        for size in sizes:
            e = next(x for x in results[(database, size)]["endpoints"] if x["name"] == name)
            cells.append(f"{e['ratio_to_hello']:.1%} · {e['p50_ms']:.1f} · {e['p95_ms']:.1f}")
        big = next(x for x in large["endpoints"] if x["name"] == name)
        growth = big["p50_ms"] / endpoint["p50_ms"]
        targets = _targets(name, database)
        verdict = "—"
        if targets is not None:
            p95, share = targets
            verdict = (f"p95 ≤ {p95:g}: {'met' if big['p95_ms'] <= p95 else 'not met'}; "
                       f"≥ {share:.0%} of hello: "
                       f"{'met' if big['ratio_to_hello'] >= share else 'not met'}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {growth:.2f} | {verdict} |")
    lines.append("")
    for size in sizes:
        export = results[(database, size)].get("csv_export")
        if export:
            per_10k = export["seconds"] / max(export["rows"], 1) * 10_000
            line = (f"* CSV export at {size:,}: {export['rows']:,} rows in "
                    f"{export['seconds']:.2f} s, first byte after {export['first_byte_s']:.3f} s "
                    f"(≈ {per_10k:.2f} s per 10,000 rows)")
            first = results[(database, size)].get("csv_export_first")
            if first:
                line += f"; the first export of the run: {first['seconds']:.2f} s"
            lines.append(line)
    return "\n".join(lines) + "\n"


def main() -> None:
    results = _load()
    for database in ("sqlite", "postgresql"):
        print(table(results, database))


if __name__ == "__main__":
    main()
