"""How long the statistics take: the summary's rebuild, and each dashboard page.

    python -m bench.statistics_bench [--dossiers 20000] [--database-url postgresql://...]
                                     [--requests 30]

The data set is bench.generate's (cached in bench/data/ for SQLite; a PostgreSQL database
given by URL must already hold it). The pages are asked in-process through Flask's test
client, one after the other, so the figures are the application's own time (no network, no
gunicorn): p50 and p95 over ``--requests`` requests each, after one warm-up request.
Results are printed and written to bench/results/statistics-<database>-<size>.json. Nothing
here asserts a time: the numbers are read, compared between runs, and written down.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
REGULATOR = "bench.regulator"


def _dataset(size: int, database_url: str | None) -> dict:
    if database_url:
        return {"DATABASE_URL": database_url}
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"statistics-{size}.sqlite3"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "bench.generate", "--dossiers", str(size),
                        "--sqlite", str(path)], cwd=ROOT, check=True)
    return {"SQLITE_PATH": str(path)}


def _regulator(password: str) -> None:
    """A case handler of an institution (bench.generate makes operators only)."""
    from stts.models import Company, InstitutionRole, User
    from stts.passwords import hash_password
    from stts.text import search_key

    if User.select().where(User.username == REGULATOR).exists():
        return
    company = Company.create(enterprise_number="0999999919", name="Bench regulator",
                             is_operator=False)
    user = User.create(company=company, username=REGULATOR, last_name="Bench",
                       first_name="Regulator", last_name_key=search_key("Bench"),
                       first_name_key=search_key("Regulator"),
                       national_number="85073003328", email="regulator@example.invalid",
                       language="fr", password_hash=hash_password(password))
    InstitutionRole.create(user=user, role="CASE_HANDLER")


def _time(client, path: str, count: int) -> dict:
    client.get(path).close()  # warm-up: templates compiled, caches filled
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()  # a streamed CSV is timed to its last byte
        times.append((time.perf_counter() - started) * 1000)
        response.close()
        assert response.status_code == 200, (path, response.status_code)  # noqa: S101
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    from bench.generate import BENCH_PASSWORD
    from stts.app import create_app
    from stts.db import database, migrate
    from stts.models import Company, User
    from stts.services.statistics import summary

    config = _dataset(args.dossiers, args.database_url)
    app = create_app({**config, "SECRET_KEY": "bench", "AUDIT_HMAC_KEY": "bench",
                      "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})
    result = {"database": "postgresql" if args.database_url else "sqlite",
              "dossiers": args.dossiers, "measured_at": time.strftime("%Y-%m-%d %H:%M"),
              "pages": []}
    with app.app_context():
        migrate()
        with database.connection_context():
            _regulator(BENCH_PASSWORD)
            started = time.monotonic()
            refresh = summary.rebuild()
            result["rebuild"] = {"seconds": round(time.monotonic() - started, 1),
                                 "dossiers": refresh.dossiers, "actions": refresh.actions}
            operator = Company.get(Company.name == "Operator 00").id
            manager = User.get(User.username == "u00.000").username
    print(f"rebuild: {result['rebuild']}", flush=True)
    pages = [
        (manager, "operator dashboard (24 months)", "/statistics/operator"),
        (manager, "operator dashboard, one category and service",
         "/statistics/operator?category=AGE65&service=MOBILE"),
        (manager, "own work", "/statistics/mine"),
        (REGULATOR, "market dashboard (24 months)", "/statistics/market"),
        (REGULATOR, "market dashboard, one operator", f"/statistics/market?operator={operator}"),
        (REGULATOR, "yearly report", "/statistics/market/yearly?month=2025-12"),
        (REGULATOR, "yearly report CSV", "/statistics/market/yearly.csv?month=2025-12"),
    ]
    clients = {}
    for username, name, path in pages:
        if username not in clients:
            clients[username] = app.test_client()
            response = clients[username].post("/login", data={"username": username,
                                                              "password": BENCH_PASSWORD})
            assert response.status_code == 302, username  # noqa: S101
        figures = _time(clients[username], path, args.requests)
        result["pages"].append({"name": name, "path": path, **figures})
        print(f"  {name:<48} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms",
              flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"statistics-{result['database']}-{args.dossiers}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
