"""Benchmark of XML batch processing on SQLite (not a timed test).

    .venv/bin/python bench/xml_bench.py                 # 10,000 messages, then 100,000
    .venv/bin/python bench/xml_bench.py --only 10000    # one size

Each size runs in its own process on a fresh, migrated, demo-seeded SQLite database in a
temporary instance folder: the file is generated (Request messages with complete data for
persons unknown to the eligibility source, so each one creates a dossier, its action, its
audit event and its result row), received through the service, then validated and applied
by ``process_batch`` (the worker's function) with the default group size. Reported:
messages/s for the whole processing (pass 1 + pass 2 + response file), and the process's
peak RSS (resource.getrusage); with --heap --only N also the Python heap peak
(tracemalloc, which slows the run: its timing is not comparable).
Targets: >= 1,000 messages/s, < 200 MB peak.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIRST_PERSON = 5000


def generate(path: Path, count: int, first: int = 0) -> None:
    """A batch of ``count`` requests, for persons and message ids numbered from ``first``
    (another batch of the same sender names other persons)."""
    from stts.demo_dossiers import person

    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<Batch xmlns="urn:be:stts:batch:1">\n'
                  "  <Header><EnterpriseNumber>0403019261</EnterpriseNumber>"
                  f"<BatchId>BENCH-{first}-{count}</BatchId>"
                  "<CreatedAt>2025-03-01T09:00:00Z</CreatedAt>"
                  "</Header>\n")
        for i in range(first, first + count):
            out.write(f'  <Request messageId="bench-{i}"><NationalNumber>{person(FIRST_PERSON + i)}'
                      "</NationalNumber><Category>AGE65</Category><LastName>Bench</LastName>"
                      f"<FirstName>P{i}</FirstName><Service>FIXED</Service>"
                      "<PhoneNumber>+3222268888</PhoneNumber>"
                      f"<CustomerNumber>C{i}</CustomerNumber><TariffFormula>Social</TariffFormula>"
                      "</Request>\n")
        out.write("</Batch>\n")


def run_one(count: int, heap: bool = False) -> dict:
    os.environ["STTS_HUEY_IMMEDIATE"] = "1"
    instance = Path(tempfile.mkdtemp(prefix="stts-xml-bench-"))
    os.environ["STTS_INSTANCE_PATH"] = str(instance)
    from stts.app import create_app
    from stts.db import database, migrate
    from stts.demo import seed_demo

    app = create_app({"SQLITE_PATH": str(instance / "bench.sqlite3"),
                      "SECRET_KEY": "bench", "AUDIT_HMAC_KEY": "bench"})
    with app.app_context():
        migrate()
        with database.connection_context():
            seed_demo()
            from stts.models import Company, User
            from stts.services.xml_batches import intake, processing

            Company.update(xml_enabled=True, xml_result_email="xml@alpha.example.invalid").where(
                Company.enterprise_number == "0403019261").execute()
            source = instance / "batch.xml"
            generate(source, count)
            size = source.stat().st_size
            sender = User.get(User.username == "lm.alpha")
            with open(source, "rb") as handle:
                batch = intake.receive_batch(handle, user=sender, enqueue=False)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if heap:  # tracemalloc slows Python down several times: never with the timing
                tracemalloc.start()
            started = time.perf_counter()
            batch = processing.process_batch(batch.id)
            elapsed = time.perf_counter() - started
            heap_peak = tracemalloc.get_traced_memory()[1] if heap else 0
            tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"messages": count, "state": batch.state, "accepted": batch.accepted,
            "file_mb": round(size / 1e6, 1), "seconds": round(elapsed, 1),
            "messages_per_s": round(count / elapsed), "rss_before_mb": round(rss_before / 1024),
            "rss_peak_mb": round(rss_peak / 1024), "python_heap_peak_mb": round(heap_peak / 1e6, 1)}



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, help="run one size in this process")
    parser.add_argument("--heap", action="store_true",
                        help="also trace the Python heap (tracemalloc; slows the run down)")
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args.only, args.heap)))
        return
    for count in (10_000, 100_000):
        output = subprocess.run([sys.executable, __file__, "--only", str(count)],
                                capture_output=True, text=True, check=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(f"{result['messages']:>7} messages ({result['file_mb']} MB): "
              f"{result['messages_per_s']} messages/s in {result['seconds']} s; "
              f"peak RSS {result['rss_peak_mb']} MB (before processing {result['rss_before_mb']} MB), "
              f"state {result['state']}, "
              f"accepted {result['accepted']}")


if __name__ == "__main__":
    main()
