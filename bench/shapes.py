"""Every query a user can type: latency of randomly drawn query shapes, worst first.

    python -m bench.shapes [--sizes 10000,1000000] [--databases sqlite,postgresql]
                           [--shapes 240] [--requests 40] [--seed 15]

A fixed seed draws the shapes: dossier searches (any combination of national number, one- or
two-word name, phone, customer number, state, category, created and activated date ranges,
any page), the console's user search and its complement (any combination of its criteria
and sorts), and the pages people open most (desk home, dossier page, task inbox with its
filters). Each shape is requested by one client, one request after the other (``--requests``
after 10 warm-up requests), against the app served as ``make run`` serves it (gunicorn with
gunicorn.conf.py, no extra variable). The bare-Flask hello is measured the same way in the
same run: on a shared machine only figures of one run compare.

Writes bench/results/shapes-<db>-<size>.json (every shape's p50/p95; the 20 worst with the
query plans of their statements) and bench/results/shapes-p95.svg and .png (p95 per shape, sorted, one
line per database and size). It reports the worst shape, not the mean.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from urllib.parse import urlencode

from bench import harness
from bench.run import MANAGER, RESULTS, ROOT, STAFF, _migrate, app_env

# Each worker (3 on 2 cores) serves a shape at least twice before it is measured: its first
# requests pay once for the pages the fork shares copy-on-write (measured apart, see
# docs/performance.md).
WARM_UP = 10
STATES = ("ACTIVE", "REVIEW", "APPROVED", "INCOMPLETE", "ENDED", "REFUSED")
CATEGORIES = ("AGE65", "HEARING_LOSS", "DISABILITY", "LARYNGECTOMY", "WAR_BLIND", "INCOME")


def _samples(env: dict) -> dict:
    """Values of operator 00 to draw from: national numbers, names, phone and customer
    numbers, dossier ids."""
    code = (
        "import json\nfrom stts.app import create_app\nfrom stts.db import database\n"
        "from stts.models import Beneficiary, Company, Dossier\n"
        "app = create_app()\n"
        "with app.app_context(), database.connection_context():\n"
        "    company = Company.get(Company.name == 'Operator 00')\n"
        "    rows = list(Dossier.select(Dossier.id, Dossier.phone_number, "
        "Dossier.customer_number, Beneficiary.national_number, Beneficiary.last_name, "
        "Beneficiary.first_name).join(Beneficiary).where(Dossier.company == company)"
        ".order_by(Dossier.id.desc()).limit(400).tuples())\n"
        "    print(json.dumps({'rows': rows, 'states': sorted({s for (s,) in "
        "Dossier.select(Dossier.state).distinct().tuples()}), 'categories': sorted({c for "
        "(c,) in Dossier.select(Dossier.category).distinct().tuples()})}))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def draw_shapes(samples: dict, count: int, seed: int) -> list[dict]:
    """``count`` shapes drawn with ``seed``: 70 % dossier searches, 20 % user searches, the
    rest the desk home, the dossier page and the task inbox. A shape's name lists what it
    filters on (the values are drawn too, but the name is what compares across sizes)."""
    rng = random.Random(seed)
    rows = samples["rows"]
    states = samples.get("states") or list(STATES)
    categories = samples.get("categories") or list(CATEGORIES)
    hx = {"HX-Request": "true"}
    shapes = [
        {"name": "desk home", "path": "/desk/", "user": STAFF, "headers": {}},
        {"name": "task inbox", "path": "/desk/tasks", "user": STAFF, "headers": hx},
        {"name": "dossier page", "path": f"/desk/dossiers/{rows[0][0]}", "user": STAFF,
         "headers": {}},
    ]
    for due in ("overdue", "today", "week"):
        shapes.append({"name": f"task inbox due={due}", "path": f"/desk/tasks?due={due}",
                       "user": STAFF, "headers": hx})
    filters = ("national_number", "name", "name2", "phone_number", "customer_number", "state",
               "category", "created", "activated", "page")
    weights = (0.1, 0.35, 0.15, 0.1, 0.1, 0.5, 0.4, 0.35, 0.3, 0.35)
    seen = {shape["name"] for shape in shapes}
    attempts = 0
    while len(shapes) < count and attempts < count * 50:
        attempts += 1
        if rng.random() < 0.78:
            chosen = [f for f, w in zip(filters, weights, strict=True) if rng.random() < w]
            if "name" in chosen and "name2" in chosen:
                chosen.remove(rng.choice(["name", "name2"]))
            if not chosen:
                continue
            params, name = _dossier_params(rng, chosen, rows, states, categories)
            if "national_number" in params:  # never in a URL: the form is posted
                shape = {"name": "search " + name, "path": "/desk/dossiers", "method": "POST",
                         "body": urlencode(params), "user": STAFF, "headers": hx}
            else:
                shape = {"name": "search " + name, "path": "/desk/dossiers?" + urlencode(params),
                         "user": STAFF, "headers": hx}
        else:
            params, name = _user_params(rng)
            shape = {"name": "users " + name, "path": "/console/users?" + urlencode(params),
                     "user": MANAGER, "headers": hx}
        if shape["name"] in seen:
            continue
        seen.add(shape["name"])
        shapes.append(shape)
    return shapes


def _dossier_params(rng, chosen, rows, states, categories):
    row = rng.choice(rows)
    _id, phone, customer, nrn, last, first = row
    params, parts = {}, []
    for name in chosen:
        if name == "national_number":
            params["national_number"] = nrn
        elif name == "name":
            params["name"] = (last or "x")[: rng.randint(1, 3)].lower()
        elif name == "name2":
            params["name"] = f"{(last or 'x')[:rng.randint(1, 3)]} {(first or 'x')[:1]}".lower()
        elif name == "phone_number":
            params["phone_number"] = phone or "+3223456789"
        elif name == "customer_number":
            params["customer_number"] = customer or "C-1"
        elif name == "state":
            params["state"] = rng.choice(states)
        elif name == "category":
            params["category"] = rng.choice(categories)
        elif name == "created":
            start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3500))
            params["created_from"] = start.isoformat()
            if rng.random() < 0.5:
                params["created_to"] = (start + timedelta(days=rng.randint(30, 1500))).isoformat()
        elif name == "activated":
            start = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3500))
            params["activated_from"] = start.isoformat()
            if rng.random() < 0.5:
                params["activated_to"] = (start + timedelta(days=rng.randint(30, 1500))
                                          ).isoformat()
        elif name == "page":
            params["page"] = rng.choice((2, 5, 40, 300))
        parts.append(name if name != "page" else f"page={params['page']}")
    # The shape is what filters, with the deep page and the name's words: the values vary.
    return params, "+".join(sorted(parts))


def _user_params(rng):
    params, parts = {}, []
    if rng.random() < 0.6:
        params["last_name"] = rng.choice("abcdefghijlmprsvw")
        parts.append("last_name")
    if rng.random() < 0.3:
        params["first_name"] = rng.choice("aejlmps")
        parts.append("first_name")
    if rng.random() < 0.3:
        params["blocked"] = rng.choice(("yes", "no"))
        parts.append(f"blocked={params['blocked']}")
    if rng.random() < 0.3:
        params["application"] = rng.choice(("STTS_WEB", "STTS_XML", "none"))
        parts.append(f"application={params['application']}")
    if rng.random() < 0.4:
        params["complement"] = "y"
        parts.append("complement")
    if rng.random() < 0.3:
        params["sort"] = rng.choice(("username", "last_login"))
        parts.append(f"sort={params['sort']}")
    return params, "+".join(parts) or "all"


def measure(database: str, size: int, shapes_count: int, requests: int, seed: int) -> dict:
    from bench.generate import BENCH_PASSWORD

    env = app_env(database, size)
    _migrate(env)
    shapes = draw_shapes(_samples(env), shapes_count, seed)
    result = {"database": database, "dossiers": size, "seed": seed, "requests": requests,
              "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "load_average": os.getloadavg(), "shapes": []}
    with harness.gunicorn("bench.hello:app") as hello_port, \
            harness.gunicorn("wsgi:app", env) as port:
        hellos = [harness.single_client_latency(hello_port, "/hello", {}, requests * 5)]
        cookies = {user: harness.log_in(port, user, BENCH_PASSWORD) for user in (STAFF, MANAGER)}
        posting = {user: harness.post_headers(port, cookie) for user, cookie in cookies.items()}

        def headers_of(shape):
            sent = posting if shape.get("method") == "POST" else {
                user: {"Cookie": cookie} for user, cookie in cookies.items()}
            return {**shape["headers"], **sent[shape["user"]]}

        for index, shape in enumerate(shapes):
            latency = harness.single_client_latency(
                port, shape["path"], headers_of(shape), requests, warm_up=WARM_UP,
                method=shape.get("method", "GET"), body=shape.get("body"), shown=table_rows)
            rows = latency.pop("shown")
            result["shapes"].append({**shape, **latency, "headers": None, "rows": rows})
            if index % 60 == 59:  # the machine's speed drifts: hello again now and then
                hellos.append(harness.single_client_latency(hello_port, "/hello", {},
                                                            requests * 5))
        hellos.append(harness.single_client_latency(hello_port, "/hello", {}, requests * 5))
        worst = sorted(result["shapes"], key=lambda s: -s["p95_ms"])[:5]
        # Throughput of the five worst shapes, each right after a hello run of the same length.
        for shape in worst:
            drawn = next(s for s in shapes if s["name"] == shape["name"])
            hello = harness.wrk_throughput(hello_port, "/hello", {}, 3)
            rps = harness.wrk_throughput(port, shape["path"], headers_of(drawn), 3,
                                         method=drawn.get("method", "GET"), body=drawn.get("body"))
            shape.update(rps=rps, hello_rps=hello, ratio_to_hello=round(rps / hello, 3))
    result["hello"] = {"p50_ms": round(sum(h["p50_ms"] for h in hellos) / len(hellos), 2),
                       "p95_ms": max(h["p95_ms"] for h in hellos)}
    ordered = sorted(result["shapes"], key=lambda s: -s["p95_ms"])
    result["worst"] = ordered[0]
    result["plans"] = _plans(env, ordered[:20])
    return result


def _plans(env: dict, shapes: list[dict]) -> dict:
    """The query plans of every statement the 20 worst shapes run (bench/plans.py, in a
    process of its own pointed at the same data set)."""
    output = subprocess.run([sys.executable, "-m", "bench.plans"], cwd=ROOT,
                            input=json.dumps([{"name": s["name"], "path": s["path"],
                                               "method": s.get("method", "GET"),
                                               "body": s.get("body"),
                                               "user": s["user"]} for s in shapes]),
                            env={**os.environ, **env}, capture_output=True, text=True)
    if output.returncode:
        return {"error": output.stderr[-2000:]}
    return json.loads(output.stdout)


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(10, 5))
    for result in sorted(results, key=lambda r: (r["database"], r["dossiers"])):
        p95 = sorted(s["p95_ms"] for s in result["shapes"])
        axis.plot(range(1, len(p95) + 1), p95, drawstyle="steps-post",
                  label=f"{result['database']}, {result['dossiers']:,} dossiers "
                        f"(hello p95 {result['hello']['p95_ms']} ms)")
    axis.axhline(10, color="grey", linestyle="--", linewidth=0.8)
    axis.axhline(15, color="grey", linestyle=":", linewidth=0.8)
    axis.set_xlabel("query shapes, sorted by p95")
    axis.set_yscale("log")
    low, high = axis.get_ylim()
    ticks = [t for t in (1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100) if low <= t <= high]
    axis.set_yticks(ticks, [str(tick) for tick in ticks])
    axis.minorticks_off()
    axis.set_ylabel("single-client p95 (ms, log scale)")
    axis.set_title("p95 per query shape (fixed seed, 240 shapes), worst on the right; dashed: 10 and 15 ms")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(RESULTS / "shapes-p95.svg")
    figure.savefig(RESULTS / "shapes-p95.png", dpi=90)
    plt.close(figure)


def table_rows(page: str) -> int:
    """How many table rows an answer shows (its header rows included): the work a shape's
    page does besides finding them. A shape that shows 3 rows at 10k and 25 at 1M does
    more at 1M whatever the data's size."""
    return len(re.findall(r"<tr[\s>]", page))


def flatness(results: list[dict]) -> list[dict]:
    """Per shape and database, p50 at the biggest size over p50 at the smallest, with the
    table rows each showed (``same_rows``: the same work besides finding them)."""
    rows = []
    for database in sorted({r["database"] for r in results}):
        runs = sorted((r for r in results if r["database"] == database),
                      key=lambda r: r["dossiers"])
        if len(runs) < 2:
            continue
        small = {s["name"]: s for s in runs[0]["shapes"]}
        for shape in runs[-1]["shapes"]:
            if shape["name"] in small:
                before = small[shape["name"]]
                rows.append({"database": database, "name": shape["name"],
                             "ratio": round(shape["p50_ms"] / before["p50_ms"], 2),
                             "rows": (before.get("rows"), shape.get("rows")),
                             "same_rows": before.get("rows") is not None
                             and before.get("rows") == shape.get("rows")})
    return sorted(rows, key=lambda r: -r["ratio"])


def report(results: list[dict]) -> None:
    for result in sorted(results, key=lambda r: (r["database"], r["dossiers"])):
        shapes = result["shapes"]
        p95 = sorted(s["p95_ms"] for s in shapes)
        worst = result["worst"]
        print(f"{result['database']}, {result['dossiers']:,} dossiers, {len(shapes)} shapes "
              f"({result['measured_at']}, load {result['load_average'][0]:.1f}): hello p50 "
              f"{result['hello']['p50_ms']} ms; shapes p95 median {p95[len(p95) // 2]} ms; "
              f"{sum(v > 10 for v in p95)} over 10 ms; worst {worst['name']} p95 "
              f"{worst['p95_ms']} ms")
        for shape in sorted(shapes, key=lambda s: -s["p95_ms"])[:20]:
            ratio = f"  {shape['ratio_to_hello']:.1%} of hello" if "ratio_to_hello" in shape else ""
            print(f"    {shape['p95_ms']:6.1f} ms p95  {shape['p50_ms']:6.1f} ms p50  "
                  f"{shape['name']}{ratio}")
    for row in flatness(results)[:10]:
        print(f"  p50 big/small {row['ratio']:.2f}  {row['database']}  {row['name']}  "
              f"table rows {_rows_shown(row)}")


def markdown(results: list[dict]) -> str:
    """The tables of docs/performance.md: one line per run, then each run's 20 worst shapes
    with the plan of their statements (SQLite's lines; PostgreSQL's first line per
    statement) and the shapes whose p50 grew most from the smallest size to the biggest."""
    lines = ["| database, dossiers | measured (UTC), load average | hello p50 · p95 (ms) "
             "| shapes | p95 median (ms) | p95 > 10 ms | worst shape: p95 (ms) |",
             "|---|---|---|---|---|---|---|"]
    ordered = sorted(results, key=lambda r: (r["database"], r["dossiers"]))
    for r in ordered:
        p95 = sorted(s["p95_ms"] for s in r["shapes"])
        lines.append(
            f"| {r['database']}, {r['dossiers']:,} | {r['measured_at']}, "
            f"{r['load_average'][0]:.1f} | {r['hello']['p50_ms']} · {r['hello']['p95_ms']} "
            f"| {len(p95)} | {p95[len(p95) // 2]} | {sum(v > 10 for v in p95)} "
            f"| {r['worst']['name']}: {r['worst']['p95_ms']} |")
    for r in ordered:
        lines += ["", f"#### The 20 worst shapes: {r['database']}, {r['dossiers']:,} dossiers",
                  "", "| p95 · p50 (ms) | × hello p50 | throughput vs hello | shape | plan |",
                  "|---|---|---|---|---|"]
        plans = r.get("plans") or {}
        for shape in sorted(r["shapes"], key=lambda s: -s["p95_ms"])[:20]:
            plan = "; ".join(_plan_summary(st) for st in plans.get(shape["name"], [])
                             if isinstance(st, dict)) if isinstance(plans, dict) else ""
            ratio = f"{shape['ratio_to_hello']:.1%}" if "ratio_to_hello" in shape else ""
            lines.append(f"| {shape['p95_ms']} · {shape['p50_ms']} "
                         f"| {shape['p50_ms'] / r['hello']['p50_ms']:.1f} | {ratio} "
                         f"| `{shape['name']}` | {plan} |")
    flat = flatness(results)
    if flat:
        lines += ["", "| database | shapes with p50 at the biggest size ≤ 1.3 × the smallest "
                  "| of them, those that show the same table rows at both sizes |", "|---|---|---|"]
        for database in sorted({row["database"] for row in flat}):
            rows = [row for row in flat if row["database"] == database]
            same = [row for row in rows if row["same_rows"]]
            lines.append(f"| {database} | {sum(r['ratio'] <= 1.3 for r in rows)} of {len(rows)} "
                         f"| {sum(r['ratio'] <= 1.3 for r in same)} of {len(same)} |")
        lines += ["", "| p50 biggest / smallest size | database | table rows shown (smallest → "
                  "biggest) | shape |", "|---|---|---|---|"]
        lines += [f"| {row['ratio']} | {row['database']} | {_rows_shown(row)} "
                  f"| `{row['name']}` |" for row in flat[:10]]
    return "\n".join(lines)


def _rows_shown(row: dict) -> str:
    small, big = row["rows"]
    return "" if small is None else f"{small} → {big}"


def _plan_summary(statement: dict) -> str:
    plan = [re.sub(r"\s+\(cost=[^)]*\)", "", line).strip(" ->") for line in statement["plan"]]
    wanted = [line for line in plan if line.startswith(("SEARCH", "SCAN", "USE TEMP"))
              or " Scan " in f" {line} " or line.startswith(("Sort", "Index Cond"))] or plan[:1]
    return " / ".join(dict.fromkeys(wanted)).replace("|", "/")[:240]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--shapes", type=int, default=240)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--report", action="store_true", help="only print the saved results")
    parser.add_argument("--markdown", action="store_true", help="print the tables of the docs")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report:
        for database in args.databases.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"{database}, {size} dossiers", flush=True)
                result = measure(database, size, args.shapes, args.requests, args.seed)
                (RESULTS / f"shapes-{database}-{size}.json").write_text(
                    json.dumps(result, indent=1))
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("shapes-*.json"))]
    plot(results)
    print(markdown(results)) if args.markdown else report(results)


if __name__ == "__main__":
    main()
