"""gunicorn settings (documented production settings; see README "Deployment")."""
import os

bind = os.environ.get("STTS_BIND", "127.0.0.1:5000")
# One worker per core and one spare (for a request that waits on the disk or a long
# export). A request here mostly computes (SQLite is in process, PostgreSQL usually near):
# on 2 cores, 3 workers answered every measured page faster than the common 2 x cores + 1,
# 5-40 % more requests a second and a lower p50 on SQLite, about the same on PostgreSQL
# (docs/performance.md, sixth round). Where requests wait on a distant database, raise
# STTS_WORKERS. The cores are those this process may run on (a container's CPU set).
def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


workers = int(os.environ.get("STTS_WORKERS", _cores() + 1))
# Sync workers: a worker takes a new connection only when it is free, so concurrent clients
# spread over the idle workers. Threaded workers (STTS_THREADS=n above 1) keep connections
# open between requests, which saves about half a millisecond a request for one client, but
# a kept connection waits for its own worker while others idle: under 30 concurrent clients
# the p95 rose from 0.27 to 0.78 s (docs/performance.md). Either way, a request that outlives
# the timeout ends its worker (stts/serving.py).
worker_class = "sync"
threads = int(os.environ.get("STTS_THREADS", 1))
timeout = int(os.environ.get("STTS_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("STTS_ACCESS_LOG", "-")
forwarded_allow_ips = os.environ.get("STTS_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is imported once, in the master: a worker recycled by max_requests is a fork (~ms)
# instead of a new import (~0.5 s of CPU, and cold template caches). Nothing opens a database
# connection at import, so no connection is shared across the fork. An upgrade needs a
# restart (HUP would keep the preloaded code).
preload_app = True


def on_starting(server):
    """National register numbers in request lines only as a keyed hash (stts/logging.py)."""
    from stts.logging import install_gunicorn

    install_gunicorn(server.log)


def when_ready(server):
    """Before the first fork: every template compiled, every language loaded (stts/warmup.py),
    so that no worker's first requests pay for them."""
    from stts.warmup import freeze_heap, warm_up

    server.log.info("warmed up: %d templates compiled", warm_up(server.app.wsgi()))
    freeze_heap()


def post_fork(server, worker):
    from stts.logging import install_gunicorn
    from stts.warmup import connect_worker

    install_gunicorn(worker.log)
    connect_worker(server.app.wsgi())


def post_worker_init(worker):
    """Its requests timed: one that outlives ``timeout`` stops the worker's heartbeat."""
    from stts.serving import install

    install(worker)
