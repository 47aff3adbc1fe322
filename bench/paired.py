"""Two versions of the app on the same data, measured interleaved: before → after on a
machine whose speed drifts.

    git worktree add /tmp/before <commit>
    (cd /tmp/before && ../path/to/this/.venv/bin/pybabel compile -d translations)
    python -m bench.paired /tmp/before [--database sqlite] [--size 1000000] [--rounds 8]

Both checkouts are served as ``make run`` serves them (gunicorn, gunicorn.conf.py), each on
its own port, beside the bare-Flask hello. For each page, in every round: one client's
latency on the one, then on the other (25 requests each), then wrk's throughput on each and
on the hello (2 s each). Whatever the machine does meanwhile falls on both versions alike,
which separate shape runs minutes apart (``bench.shapes``) cannot promise on a shared VM.
Reports each page's p50 (median of the rounds) and requests a second (mean), and the
throughput as a share of the hello's. Writes bench/results/paired-<db>-<size>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench import harness
from bench.generate import BENCH_PASSWORD
from bench.run import MANAGER, RESULTS, ROOT, STAFF, _migrate, app_env

PAGES = [
    ("desk home", "/desk/", STAFF, False),
    ("task inbox", "/desk/tasks", STAFF, True),
    ("dossier search, activation period",
     "/desk/dossiers?activated_from=2022-09-30&activated_to=2025-11-19", STAFF, True),
    ("name search of two words", "/desk/dossiers?name=de+s", STAFF, True),
    ("user search complement",
     "/console/users?last_name=d&first_name=a&blocked=no&complement=y", MANAGER, True),
    ("users sorted by username", "/console/users?sort=username", MANAGER, True),
]


@contextmanager
def served(root: Path, app_spec: str, env: dict):
    """gunicorn from the checkout ``root`` (its own gunicorn.conf.py and code)."""
    port = harness.free_port()
    process = subprocess.Popen(
        [str(harness.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", app_spec], cwd=root,
        env={**env, "STTS_BIND": f"127.0.0.1:{port}", "STTS_ACCESS_LOG": "/dev/null"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn of {root} did not start") from None
            time.sleep(0.2)
    time.sleep(1.5)  # every worker booted
    try:
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def measure(before: Path, database: str, size: int, rounds: int) -> dict:
    env = {**os.environ, **app_env(database, size), **harness.ONE_ADDRESS_LIMITS}
    _migrate(env)
    versions = {"before": before, "after": ROOT}
    result = {"database": database, "dossiers": size, "rounds": rounds,
              "measured_at": time.strftime("%Y-%m-%d %H:%M"), "pages": {}}
    with ExitStack() as stack:
        ports = {name: stack.enter_context(served(root, "wsgi:app", env))
                 for name, root in versions.items()}
        hello = stack.enter_context(served(ROOT, "bench.hello:app", env))
        cookies = {name: {user: harness.log_in(port, user, BENCH_PASSWORD)
                          for user in (STAFF, MANAGER)} for name, port in ports.items()}
        for label, path, user, htmx in PAGES:
            headers = {name: {"Cookie": cookies[name][user],
                              **({"HX-Request": "true"} if htmx else {})} for name in ports}
            latency = {name: [] for name in ports}
            throughput = {name: [] for name in ports}
            hellos = []
            for name, port in ports.items():  # warm-up
                harness.single_client_latency(port, path, headers[name], requests=20)
            for _ in range(rounds):
                for name, port in ports.items():
                    latency[name].append(harness.single_client_latency(
                        port, path, headers[name], requests=25)["p50_ms"])
                for name, port in ports.items():
                    throughput[name].append(harness.wrk_throughput(
                        port, path, headers[name], seconds=2))
                hellos.append(harness.wrk_throughput(hello, "/hello", {}, seconds=2))
            hello_rps = statistics.mean(hellos)
            page = {name: {"p50_ms": round(statistics.median(latency[name]), 2),
                           "rps": round(statistics.mean(throughput[name]), 1),
                           "share_of_hello": round(statistics.mean(throughput[name])
                                                   / hello_rps, 4)}
                    for name in ports}
            page["hello_rps"] = round(hello_rps, 1)
            result["pages"][label] = page
            print(f"{label:36} share of the hello {page['before']['share_of_hello']:6.1%} → "
                  f"{page['after']['share_of_hello']:6.1%}   p50 "
                  f"{page['before']['p50_ms']:5.2f} → {page['after']['p50_ms']:5.2f} ms",
                  flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--size", type=int, default=1000000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    result = measure(args.before.resolve(), args.database, args.size, args.rounds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"paired-{args.database}-{args.size}.json").write_text(
        json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
