"""The worker process's entry point: ``huey_consumer stts.worker.consumer.huey``.

It builds the application once (configuration, database, every declared task) and hands huey
the instance the application configured. The process lowers its own priority
(``WORKER_NICENESS``): background jobs yield the CPU to the web processes."""
import os

from stts.app import create_app
from stts.worker import worker

app = create_app()
huey = worker.huey
if app.config.get("WORKER_NICENESS"):
    os.nice(app.config["WORKER_NICENESS"])
