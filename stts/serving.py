"""How a gunicorn worker serves the app (gunicorn.conf.py): its heartbeat follows its requests.

With ``STTS_THREADS`` above 1, gunicorn runs threaded workers (``gthread``): their main
thread keeps idle connections open between requests (HTTP keep-alive) while request threads
run the requests. Such a worker's main thread tells the master it is alive once a second
whatever its request threads do, so the master's timeout would no longer end a request that
never finishes, as it ends a sync worker's. ``RequestClock`` keeps the start of each request
in progress (until its answer is written, a streamed one included) and ``beat`` stamps the
worker's heartbeat with the start of the oldest one: a request that runs longer than the
timeout stops the heartbeat, and the master ends the worker as it ends a sync worker. A sync
worker beats only between requests, when none is in progress: the stamp is then the time.
"""
from __future__ import annotations

import itertools
import os
import threading
import time


class RequestClock:
    """WSGI middleware: the start (``time.monotonic``) of every request in progress."""

    def __init__(self, app):
        self.app = app
        self._started: dict[int, float] = {}
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def oldest(self) -> float | None:
        """The start of the oldest request in progress, or None when there is none."""
        with self._lock:
            return min(self._started.values(), default=None)

    def __call__(self, environ, start_response):
        number = next(self._numbers)
        with self._lock:
            self._started[number] = time.monotonic()
        try:
            answer = self.app(environ, start_response)
        except BaseException:
            self._finish(number)
            raise
        finish = lambda: self._finish(number)  # noqa: E731
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(answer, file_wrapper):
            # A file the server sends itself (sendfile) must reach it as it is.
            answer.close = _then(getattr(answer, "close", None), finish)
            return answer
        return _Answer(answer, finish)

    def _finish(self, number: int) -> None:
        with self._lock:
            self._started.pop(number, None)


def _then(close, finish):
    def closed():
        try:
            if close is not None:
                close()
        finally:
            finish()
    return closed


class _Answer:
    """The app's answer, iterated by the server; the request ends when the server closes it
    (PEP 3333), after its last byte is written."""

    def __init__(self, answer, finish):
        self._answer = answer
        self._finish = finish

    def __iter__(self):
        return iter(self._answer)

    def close(self):
        _then(getattr(self._answer, "close", None), self._finish)()


def install(worker) -> None:
    """In a forked worker (gunicorn's ``post_worker_init``): time its requests and beat with
    the oldest one's start."""
    clock = worker.wsgi = RequestClock(worker.wsgi)
    worker.notify = lambda: beat(worker.tmp.fileno(), clock)


def beat(fileno: int, clock: RequestClock) -> None:
    """The heartbeat gunicorn's master reads (the worker file's time, in ``time.monotonic``
    seconds): now, or the start of the oldest request in progress."""
    oldest = clock.oldest()
    stamp = time.monotonic() if oldest is None else oldest
    os.utime(fileno, (stamp, stamp))
