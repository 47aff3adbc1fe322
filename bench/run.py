"""`make bench`: the app against the bare-Flask limit at several data sizes, on SQLite and
PostgreSQL. Writes bench/results/<db>-<size>.json and bench/results/latency.png.

    python -m bench.run [--sizes 10000,320000,1000000] [--databases sqlite,postgresql]
                        [--seconds 8]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import harness

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = os.environ.get("STTS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
STAFF = "u00.002"      # STTS 3 at operator 00
MANAGER = "u00.000"    # local manager of operator 00


# The app's keys and instance folder, the same in every run and in the generator (the audit
# trail's pseudonyms and chain are made with them); otherwise the defaults `make run` starts.
APP_ENV = {"STTS_SESSION_COOKIE_SECURE": "false", "STTS_SECRET_KEY": "bench-secret",
           "STTS_AUDIT_HMAC_KEY": "bench-audit", "STTS_INSTANCE_PATH": str(DATA / "instance")}


def app_env(database: str, size: int) -> dict:
    """The environment of the app served on the data set (created once)."""
    (DATA / "instance").mkdir(parents=True, exist_ok=True)
    return {**_dataset(database, size), **APP_ENV}


def _dataset(database: str, size: int) -> dict:
    """Create (once) the data set and return the env that points the app at it."""
    DATA.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        path = DATA / f"bench-{size}.sqlite3"
        if not path.exists():
            _generate(size, ["--sqlite", str(path)])
        return {"STTS_SQLITE_PATH": str(path)}
    name = f"stts_bench_{size}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    exists = subprocess.run(["psql", PG_ADMIN, "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True)
        _generate(size, ["--database-url", f"{base}/{name}"])
        subprocess.run(["psql", f"{base}/{name}", "-qc", "VACUUM ANALYZE"], check=True)
    return {"DATABASE_URL": f"{base}/{name}"}


def _generate(size: int, target: list[str]) -> None:
    print(f"  generating {size} dossiers …", flush=True)
    (DATA / "instance").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "bench.generate", "--dossiers", str(size), *target],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **APP_ENV})


def _migrate(env: dict) -> None:
    """A cached data set follows the schema: apply pending migrations (usually none)."""
    subprocess.run([sys.executable, "-c", "from stts.app import create_app\nfrom stts.db import migrate\n"
                    "app = create_app()\nwith app.app_context():\n    print(migrate())"],
                   cwd=ROOT, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


def _sample_ids(env: dict) -> dict:
    """A national number, a dossier id and a name prefix of operator 00."""
    code = (
        "from stts.app import create_app\nfrom stts.db import database\n"
        "from stts.models import Dossier, Beneficiary, Company\nimport json\n"
        "app = create_app()\n"
        "with app.app_context(), database.connection_context():\n"
        "    company = Company.get(Company.name == 'Operator 00')\n"
        "    d = (Dossier.select(Dossier, Beneficiary).join(Beneficiary)"
        ".where(Dossier.company == company, Dossier.state == 'ACTIVE')"
        ".order_by(Dossier.id.desc()).first())\n"
        "    print(json.dumps({'dossier': d.id, 'nrn': d.beneficiary.national_number}))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def endpoints(sample: dict) -> list[dict]:
    hx = {"HX-Request": "true"}
    return [
        {"name": "login page", "path": "/login", "user": None, "headers": {}},
        {"name": "dossier search: exact national number", "path": "/desk/dossiers",
         "method": "POST", "body": urlencode({"national_number": sample["nrn"]}),
         "user": STAFF, "headers": hx},
        {"name": "dossier search: name prefix", "path": "/desk/dossiers?name=dup",
         "user": STAFF, "headers": hx},
        {"name": "dossier search: state filter, deep page",
         "path": "/desk/dossiers?state=ACTIVE&page=40", "user": STAFF, "headers": hx},
        {"name": "dossier page", "path": f"/desk/dossiers/{sample['dossier']}", "user": STAFF,
         "headers": {}},
        {"name": "task inbox", "path": "/desk/tasks", "user": STAFF, "headers": hx},
        {"name": "user search", "path": "/console/users?last_name=ma", "user": MANAGER,
         "headers": hx},
        {"name": "complementary user search",
         "path": "/console/users?last_name=ma&complement=y", "user": MANAGER, "headers": hx},
    ]


def run_one(database: str, size: int, seconds: int) -> dict:
    from bench.generate import BENCH_PASSWORD

    env = {**app_env(database, size), **harness.ONE_ADDRESS_LIMITS}
    _migrate(env)
    sample = _sample_ids(env)
    result = {"database": database, "dossiers": size, "measured_at": time.strftime("%Y-%m-%d %H:%M"),
              "machine": {"cores": os.cpu_count()}, "endpoints": []}
    # The bare-Flask server runs beside the app's (idle while the app is measured) and each
    # endpoint's throughput is measured right after a hello run of the same length: the
    # speed of a shared VM drifts by 10-20 % within minutes, so the ratio of two adjacent
    # runs is the figure that means something.
    with harness.gunicorn("bench.hello:app") as hello_port, \
            harness.gunicorn("wsgi:app", env) as port:
        hello_latency = harness.single_client_latency(hello_port, "/hello", {})
        cookies = {user: harness.log_in(port, user, BENCH_PASSWORD)
                   for user in (STAFF, MANAGER)}
        hellos = []
        for endpoint in endpoints(sample):
            headers = dict(endpoint["headers"])
            method, body = endpoint.get("method", "GET"), endpoint.get("body")
            if endpoint["user"] and method == "POST":
                headers.update(harness.post_headers(port, cookies[endpoint["user"]]))
            elif endpoint["user"]:
                headers["Cookie"] = cookies[endpoint["user"]]
            hello = harness.wrk_throughput(hello_port, "/hello", {}, seconds)
            rps = harness.wrk_throughput(port, endpoint["path"], headers, seconds, method=method,
                                         body=body)
            hellos.append(hello)
            latency = harness.single_client_latency(port, endpoint["path"], headers,
                                                    method=method, body=body)
            result["endpoints"].append({
                "name": endpoint["name"], "path": endpoint["path"], "rps": rps,
                "hello_rps": hello, "ratio_to_hello": round(rps / hello, 3), **latency})
            print(f"  {endpoint['name']:<45} {rps:8.0f} req/s  ({rps / hello:5.1%} of hello,"
                  f" {hello:.0f} req/s)  p50 {latency['p50_ms']:6.2f} ms"
                  f"  p95 {latency['p95_ms']:6.2f} ms", flush=True)
        result["hello"] = {"rps": round(sum(hellos) / len(hellos), 1),
                           "rps_min": min(hellos), "rps_max": max(hellos), **hello_latency}
        # Twice: the first may read the operator's rows from disk (they lie all over the
        # file), the second finds them in the page cache, as an export repeated in a day.
        exports = [harness.timed_download(port, "/desk/dossiers.csv?state=ACTIVE",
                                          {"Cookie": cookies[STAFF]}) for _ in range(2)]
        result["csv_export"] = exports[1]
        result["csv_export_first"] = exports[0]
        for label, export in zip(("first", "again"), exports, strict=True):
            print(f"  CSV export ({label}): {export['rows']} rows in {export['seconds']} s "
                  f"(first byte {export['first_byte_s']} s)", flush=True)
    return result


def plot(results: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    for axis, database in zip(axes, ("sqlite", "postgresql"), strict=True):
        rows = sorted((r for r in results if r["database"] == database),
                      key=lambda r: r["dossiers"])
        if not rows:
            continue
        names = [e["name"] for e in rows[0]["endpoints"]]
        for name in names:
            sizes = [r["dossiers"] for r in rows]
            p50 = [next(e["p50_ms"] for e in r["endpoints"] if e["name"] == name) for r in rows]
            axis.plot(sizes, p50, marker="o", label=name)
        axis.set_xscale("log")
        axis.set_title(f"{database}: single-client p50 latency")
        axis.set_xlabel("dossiers")
        axis.grid(True, alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[1].legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    figure.savefig(RESULTS / "latency.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,320000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for database in args.databases.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"{database}, {size} dossiers", flush=True)
            result = run_one(database, size, args.seconds)
            (RESULTS / f"{database}-{size}.json").write_text(json.dumps(result, indent=2))
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))
               if p.name.startswith(("sqlite-", "postgresql-"))]
    plot(results)
    print(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
