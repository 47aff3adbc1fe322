"""Races in tests: callables released at the same moment, each in its own thread and
database connection."""
import threading

from stts.db import database
from stts.services import ServiceError


def run_together(app, calls, timeout=60):
    """Each callable's outcome, in order: ("ok", result), ("refused", the ServiceError) or
    ("error", its repr)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                barrier.wait(timeout=10)
                results[index] = ("ok", call())
            except ServiceError as error:
                results[index] = ("refused", error)
            except Exception as error:  # pragma: no cover - shown in the assertion
                results[index] = ("error", repr(error))
            finally:
                database.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
