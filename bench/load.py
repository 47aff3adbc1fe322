"""`make load`: 30 simulated staff over the main flows for 60 seconds against gunicorn.

Each simulated person logs in through the form (CSRF included), then loops over what a desk
worker does all day: search dossiers (by name prefix, by national number), open a dossier
(which writes the consultation log), look a person up (which writes the audit trail), the task
inbox (STTS 3) and the user search (local manager). Threads + http.client, one keep-alive
connection per person, no think time: this is a stress run, not a model of real pacing.

An error is any answer other than the expected status (200, 302 for the login) or a network
failure; the run fails when there is one. Writes bench/results/load.json.

    python -m bench.load [--users 30] [--seconds 60] [--database sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import harness

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SIZE = 10_000
OPERATOR = 0
HX = {"HX-Request": "true"}
NAME_PREFIXES = ["dup", "pee", "jan", "maes", "jac", "mer", "wil", "cla", "wou", "go"]


def _dataset(database: str, workdir: Path) -> dict:
    """A private copy of the bench data set (the run writes audit and consultation rows)."""
    from bench import run

    env = run._dataset(database, SIZE)
    if database == "sqlite":
        copy = workdir / "load.sqlite3"
        shutil.copyfile(env["STTS_SQLITE_PATH"], copy)
        return {"STTS_SQLITE_PATH": str(copy)}
    return env


def _samples(env: dict) -> dict:
    """Dossier ids and national numbers of operator 00, and its staff who can log in."""
    code = (
        "import json\nfrom stts.app import create_app\nfrom stts.db import database\n"
        "from stts.models import Beneficiary, Company, Dossier, User\n"
        "app = create_app()\n"
        "with app.app_context(), database.connection_context():\n"
        "    company = Company.get(Company.name == 'Operator 00')\n"
        "    rows = (Dossier.select(Dossier.id, Beneficiary.national_number).join(Beneficiary)"
        ".where(Dossier.company == company).order_by(Dossier.id.desc()).limit(200).tuples())\n"
        "    users = [u for (u,) in User.select(User.username).where("
        "User.company == company, User.blocked == False, User.password_provisional == False)"
        ".order_by(User.username).limit(200).tuples()]\n"
        "    print(json.dumps({'dossiers': [[i, n] for i, n in rows], 'users': users}))\n"
    )
    import subprocess

    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


class Person(threading.Thread):
    def __init__(self, port: int, username: str, password: str, samples: dict, stop: float,
                 seed: int):
        super().__init__(daemon=True)
        self.port, self.username, self.password = port, username, password
        self.samples, self.stop_at = samples, stop
        self.random = random.Random(seed)
        self.timings: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.connection = None
        self.cookie = ""
        self.csrf_token = ""
        self.flows: list = []

    def _get(self, name: str, path: str, headers: dict | None = None, expect=(200,),
             body: str | None = None):
        """One request, timed: a GET, or with ``body`` a form POST (CSRF token included)."""
        headers = {**(headers or {}), "Cookie": self.cookie}
        if body is not None:
            headers.update({"X-CSRFToken": self.csrf_token,
                            "Content-Type": "application/x-www-form-urlencoded"})
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("GET" if body is None else "POST", path, body=body,
                                    headers=headers)
            response = self.connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection = None
            self.errors.append(f"{name}: {type(error).__name__}: {error}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        self.timings.setdefault(name, []).append(elapsed)
        if response.status not in expect:
            self.errors.append(f"{name} {path}: HTTP {response.status} {body[:120]!r}")
        return response.status

    def log_in(self) -> None:
        started = time.perf_counter()
        try:
            posting = harness.post_headers(
                self.port, harness.log_in(self.port, self.username, self.password))
            # The page that issued the CSRF token stored it in the session: its new cookie.
            self.cookie, self.csrf_token = posting["Cookie"], posting["X-CSRFToken"]
        except Exception as error:  # noqa: BLE001 — counted, reported
            self.errors.append(f"log in {self.username}: {error}")
            return
        self.timings.setdefault("log in", []).append((time.perf_counter() - started) * 1000)

    def prepare(self) -> None:
        """Log in and find which flows this person's profile allows (not measured)."""
        self.log_in()
        self.flows = [self.search_by_name, self.search_by_number, self.open_dossier,
                      self.lookup]
        probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for path, flow in (("/desk/tasks", self.task_inbox), ("/console/users", self.user_search)):
            probe.request("GET", path, headers={**HX, "Cookie": self.cookie})
            response = probe.getresponse()
            response.read()
            if response.status == 200:
                self.flows.append(flow)
        probe.close()
        self.timings.clear()  # the preparation log in is reported apart

    def search_by_name(self):
        self._get("search dossiers by name",
                  f"/desk/dossiers?name={self.random.choice(NAME_PREFIXES)}", HX)

    def search_by_number(self):
        _, nrn = self.random.choice(self.samples["dossiers"])
        self._get("search dossiers by national number", "/desk/dossiers", HX,
                  body=urlencode({"national_number": nrn}))

    def open_dossier(self):
        dossier_id, _ = self.random.choice(self.samples["dossiers"])
        self._get("open a dossier", f"/desk/dossiers/{dossier_id}")

    def lookup(self):
        _, nrn = self.random.choice(self.samples["dossiers"])
        self._get("request lookup", "/desk/lookup", HX, body=urlencode({"national_number": nrn}))

    def task_inbox(self):
        self._get("task inbox", "/desk/tasks", HX)

    def user_search(self):
        self._get("user search", f"/console/users?last_name={self.random.choice(['ma', 'de', 'ja'])}",
                  HX)

    def run(self) -> None:
        iteration = 0
        while time.monotonic() < self.stop_at:
            iteration += 1
            if iteration % 50 == 0:  # staff log in again now and then (argon2 on purpose)
                self.log_in()
            self.random.choice(self.flows)()
        if self.connection is not None:
            self.connection.close()


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"requests": 0}
    values = sorted(values)

    def pick(q: float) -> float:
        return round(values[min(len(values) - 1, int(round(q * len(values))) - 1)], 2)

    return {"requests": len(values), "p50_ms": round(statistics.median(values), 2),
            "p95_ms": pick(0.95), "p99_ms": pick(0.99), "max_ms": round(values[-1], 2)}


def run_load(users: int = 30, seconds: int = 60, database: str = "sqlite") -> dict:
    from bench.generate import BENCH_PASSWORD

    with tempfile.TemporaryDirectory(prefix="stts-load-") as workdir:
        workdir = Path(workdir)
        (workdir / "instance").mkdir()
        env = {**_dataset(database, workdir), "STTS_SESSION_COOKIE_SECURE": "false",
               "STTS_SECRET_KEY": "load-secret", "STTS_AUDIT_HMAC_KEY": "load-audit",
               "STTS_INSTANCE_PATH": str(workdir / "instance"), **harness.ONE_ADDRESS_LIMITS}
        samples = _samples(env)
        with harness.gunicorn("wsgi:app", env) as port:
            # The local manager of operator 00, and staff of all three profiles.
            names = samples["users"][:users]  # u00.000 is the manager
            people = [Person(port, name, BENCH_PASSWORD, samples, 0, seed)
                      for seed, name in enumerate(names)]
            for person in people:
                person.prepare()
            started = time.monotonic()
            for person in people:
                person.stop_at = started + seconds
                person.start()
            for person in people:
                person.join(seconds + 60)
            elapsed = time.monotonic() - started
    every = [t for p in people for values in p.timings.values() for t in values]
    flows: dict[str, list[float]] = {}
    for person in people:
        for name, values in person.timings.items():
            flows.setdefault(name, []).extend(values)
    errors = [e for p in people for e in p.errors]
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M"), "database": database,
        "dossiers": SIZE, "users": users, "seconds": round(elapsed, 1),
        "machine": {"cores": os.cpu_count()},
        "requests": len(every), "errors": len(errors), "error_samples": errors[:20],
        "throughput_rps": round(len(every) / elapsed, 1),
        "latency": _percentiles(every),
        "flows": {name: _percentiles(values) for name, values in sorted(flows.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    result = run_load(args.users, args.seconds, args.database)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("load.json" if args.database == "sqlite" else f"load-{args.database}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    latency = result["latency"]
    print(f"{result['users']} staff, {result['seconds']} s on {args.database}: "
          f"{result['requests']} requests ({result['throughput_rps']} req/s), "
          f"{result['errors']} errors, p50 {latency.get('p50_ms')} ms, "
          f"p95 {latency.get('p95_ms')} ms, p99 {latency.get('p99_ms')} ms")
    for name, figures in result["flows"].items():
        print(f"  {name:<38} {figures['requests']:6d}  p50 {figures.get('p50_ms')} ms  "
              f"p95 {figures.get('p95_ms')} ms  p99 {figures.get('p99_ms')} ms")
    for error in result["error_samples"]:
        print("  error:", error)
    print(f"written to {out}")
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
