"""The worker process's entry point: ``huey_consumer stts.worker.consumer.huey``.

It builds the application once (configuration, database, every declared task) and hands huey
the instance the application configured."""
from stts.app import create_app
from stts.worker import worker

app = create_app()
huey = worker.huey
