"""One company's batch of 20,000 messages while another company's staff work (the slow
test tests/unit/test_xml_fairness_measured.py runs it and asserts the ratio it measures).

    .venv/bin/python -m bench.fairness [--database sqlite|postgresql] [--messages 20000]
                                       [--loaded-rounds N]

A fresh, migrated, demo-seeded database (SQLite file, or a PostgreSQL database of its own on
127.0.0.1:5432) in a temporary instance folder; the application under gunicorn with the
production settings and the worker (``huey_consumer stts.worker.consumer.huey``) as in
production, on the default SQLite queue. A member of Belcom Beta's staff (one client, requests
one after the other) loops over logging in (the form, argon2 included), a dossier page, a
search by name and the dossier list, measured three times: idle; then while Telco Alpha's
batch of MESSAGES requests (each creates a dossier, its action, its audit event and its result
row) is validated and applied by the worker — until the batch is done, or with
--loaded-rounds N for N rounds once messages are being applied (when a batch is done sooner,
the company sends its next one, of other persons), after which the worker is stopped —;
then idle again. Reported: p50/p95 of each flow and of all of them, idle (both idle
phases together) and loaded, the ratio loaded/idle, and the batch's progress meanwhile.
Writes bench/results/fairness-<database>.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import harness
from stts.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
HX = {"HX-Request": "true"}
STAFF = "stts2.beta"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

SETUP = """
import json, sys
from pathlib import Path
from stts.app import create_app
from stts.db import database, migrate
app = create_app()
with app.app_context():
    migrate()
    with database.connection_context():
        from stts.demo import seed_demo
        from stts.models import Company, Dossier
        seed_demo()
        Company.update(xml_enabled=True).where(Company.enterprise_number == "0403019261").execute()
        beta = Company.get(Company.enterprise_number == "0428759497")
        ids = [i for (i,) in Dossier.select(Dossier.id).where(Dossier.company == beta)
               .order_by(Dossier.id).limit(50).tuples()]
        print(json.dumps({"dossiers": ids}))
"""

SUBMIT = """
import sys
from stts.app import create_app
from stts.db import database
from bench.xml_bench import generate
from pathlib import Path
app = create_app()
with app.app_context(), database.connection_context():
    from stts.models import User
    from stts.services.xml_batches import intake
    source = Path(sys.argv[1])
    generate(source, int(sys.argv[2]), int(sys.argv[3]))
    with open(source, "rb") as handle:
        batch = intake.receive_batch(handle, user=User.get(User.username == "lm.alpha"))
    print(batch.id)
"""

STATE = """
import sys
from stts.app import create_app
from stts.db import database
app = create_app()
with app.app_context(), database.connection_context():
    from stts.models import XmlBatch
    batch = XmlBatch.get_by_id(int(sys.argv[1]))
    print(batch.state, batch.processed, batch.total)
"""


def _python(code: str, env: dict, *args: str) -> str:
    output = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout
    return output.strip().splitlines()[-1]


class Staff:
    """One person of the other company, requests one after the other on one connection."""

    def __init__(self, port: int, dossiers: list[int]):
        self.port, self.dossiers = port, dossiers
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = harness.log_in(port, STAFF, DEMO_PASSWORD)
        self.turn = 0
        self.errors: list[str] = []

    def _get(self, path: str, headers: dict | None = None) -> None:
        self.connection.request("GET", path, headers={**(headers or {}), "Cookie": self.cookie})
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            self.errors.append(f"{path}: HTTP {response.status} {body[:120]!r}")

    def _log_in(self) -> None:
        try:
            self.cookie = harness.log_in(self.port, STAFF, DEMO_PASSWORD)
        except RuntimeError as error:
            self.errors.append(str(error))

    def round(self, timings: dict[str, list[float]]) -> None:
        """One round of the staff's work: each flow once, each timed."""
        self.turn += 1
        dossier = self.dossiers[self.turn % len(self.dossiers)]
        flows = (("log in", self._log_in),
                 ("open a dossier", lambda: self._get(f"/desk/dossiers/{dossier}")),
                 ("search dossiers by name",
                  lambda: self._get("/desk/dossiers?name=" + "ab"[self.turn % 2], HX)),
                 ("dossier list", lambda: self._get("/desk/dossiers")))
        for name, flow in flows:
            started = time.perf_counter()
            flow()
            timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return round(values[max(0, int(round(0.95 * len(values))) - 1)], 1)


def _figures(timings: dict[str, list[float]]) -> dict:
    every = [t for values in timings.values() for t in values]
    flows = {name: {"requests": len(values), "p50_ms": round(statistics.median(values), 1),
                    "p95_ms": _p95(values)} for name, values in sorted(timings.items())}
    return {"requests": len(every), "p50_ms": round(statistics.median(every), 1),
            "p95_ms": _p95(every), "flows": flows}


def _database(database: str, workdir: Path) -> tuple[dict, str | None]:
    if database == "sqlite":
        return {"STTS_SQLITE_PATH": str(workdir / "fairness.sqlite3")}, None
    name = f"stts_fairness_{uuid.uuid4().hex[:10]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return {"DATABASE_URL": f"{PG_SERVER}/{name}"}, name


def measure(database: str = "sqlite", messages: int = 20_000, idle_rounds: int = 40,
            loaded_rounds: int | None = None) -> dict:
    """Idle, loaded, idle again; the figures of each and the ratio loaded/idle. The loaded
    phase lasts until the batch is done, or with ``loaded_rounds`` until that many rounds
    were measured while messages were being applied (the worker is then stopped; a batch
    done sooner is followed by the company's next one)."""
    with tempfile.TemporaryDirectory(prefix="stts-fairness-") as workdir:
        workdir = Path(workdir)
        (workdir / "instance").mkdir()
        db_env, pg_name = _database(database, workdir)
        env = {**os.environ, **db_env, "STTS_INSTANCE_PATH": str(workdir / "instance"),
               "STTS_SESSION_COOKIE_SECURE": "false", "STTS_SECRET_KEY": "fairness",
               "STTS_AUDIT_HMAC_KEY": "fairness", "STTS_AUDIT_CHAIN_KEY": "fairness",
               "STTS_HUEY_IMMEDIATE": "false", **harness.ONE_ADDRESS_LIMITS,
               "PYTHONPATH": str(ROOT)}
        env.pop("STTS_TEST_DATABASE_URL", None)
        try:
            return _measure(env, workdir, database, messages, idle_rounds, loaded_rounds)
        finally:
            if pg_name:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force",
                                pg_name], check=False)


def _measure(env: dict, workdir: Path, database: str, messages: int, idle_rounds: int,
             loaded_rounds: int | None) -> dict:
    dossiers = json.loads(_python(SETUP, env))["dossiers"]
    consumer = subprocess.Popen(
        [str(VENV_BIN / "huey_consumer"), "stts.worker.consumer.huey", "-w", "1", "-q"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        with harness.gunicorn("wsgi:app", env, workers=2) as port:
            staff = Staff(port, dossiers)
            idle: dict[str, list[float]] = {}
            loaded: dict[str, list[float]] = {}
            for _ in range(5):  # warm-up, not counted
                staff.round({})
            for _ in range(idle_rounds):
                staff.round(idle)
            started = time.monotonic()
            batches, done = 1, 0  # batches sent; messages processed by the finished ones
            batch_id = _python(SUBMIT, env, str(workdir / "batch.xml"), str(messages), "0")
            state, processed, applying = "RECEIVED", 0, None
            while True:
                for _ in range(5):
                    staff.round(loaded)
                state, processed, _total = _python(STATE, env, batch_id).split()
                processed = int(processed)
                if applying is None and processed:
                    applying = len(loaded["log in"])
                if loaded_rounds and applying is not None and \
                        len(loaded["log in"]) - applying >= loaded_rounds:
                    break  # enough rounds while messages were being applied
                if state == "DONE" and loaded_rounds:
                    # Done before enough rounds were measured (a faster machine): the
                    # company sends its next batch, of other persons.
                    done += processed
                    batch_id = _python(SUBMIT, env, str(workdir / "batch.xml"), str(messages),
                                       str(batches * messages))
                    batches += 1
                    continue
                if state in ("DONE", "REJECTED"):
                    break
            processed += done
            batch_seconds = time.monotonic() - started
            os.killpg(consumer.pid, signal.SIGTERM)  # the batch stops: idle again
            consumer.wait(timeout=60)
            for _ in range(idle_rounds):
                staff.round(idle)
            errors = staff.errors
    finally:
        if consumer.poll() is None:
            os.killpg(consumer.pid, signal.SIGTERM)
            consumer.wait(timeout=60)
    idle_figures, loaded_figures = _figures(idle), _figures(loaded)
    ratios = {name: round(loaded_figures["flows"][name]["p95_ms"] / figures["p95_ms"], 2)
              for name, figures in idle_figures["flows"].items()}
    return {
        "measured_at": time.strftime("%Y-%m-%d %H:%M"), "database": database,
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg()},
        "messages": messages, "batches": batches, "batch_state": state,
        "batch_processed": processed,
        "seconds_loaded": round(batch_seconds, 1),
        "messages_per_s": round(processed / batch_seconds),
        "idle": idle_figures, "loaded": loaded_figures,
        "p95_ratio": round(loaded_figures["p95_ms"] / idle_figures["p95_ms"], 2),
        "p95_ratio_by_flow": ratios, "errors": errors[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--loaded-rounds", type=int, default=None,
                        help="stop the batch after this many rounds while it applies messages")
    args = parser.parse_args()
    result = measure(args.database, args.messages, loaded_rounds=args.loaded_rounds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"fairness-{args.database}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.database}: batch of {result['messages']} messages, {result['batch_processed']} "
          f"applied ({result['batch_state']}) in {result['seconds_loaded']} s "
          f"({result['messages_per_s']} messages/s); another "
          f"company's staff p95 idle {result['idle']['p95_ms']} ms, during the batch "
          f"{result['loaded']['p95_ms']} ms: ratio {result['p95_ratio']}")
    for name, ratio in result["p95_ratio_by_flow"].items():
        print(f"  {name:<26} p95 idle {result['idle']['flows'][name]['p95_ms']:>7} ms  "
              f"loaded {result['loaded']['flows'][name]['p95_ms']:>7} ms  ratio {ratio}")
    for error in result["errors"]:
        print("  error:", error)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
