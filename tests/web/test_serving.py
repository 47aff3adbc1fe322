"""How gunicorn serves the app (gunicorn.conf.py, stts/serving.py): sync workers by default,
threaded workers with ``STTS_THREADS`` (which keep connections alive between requests). With
either, a request that outlives the timeout ends its worker, while a worker that is idle, or
busy with short requests for longer than the timeout, lives on."""
from __future__ import annotations

import http.client
import os
import runpy
import textwrap
import time

import pytest

from bench import harness
from stts.serving import RequestClock

SLOW_WSGI = textwrap.dedent('''
    """Test-only WSGI entry: how long a request runs is the client's choice."""
    import os
    import time

    from flask import Flask, request

    app = Flask("slow_wsgi")


    @app.get("/pid")
    def pid():
        return str(os.getpid())


    @app.get("/sleep")
    def sleep():
        time.sleep(float(request.args["seconds"]))
        return str(os.getpid())
''')

TIMEOUT = 2

CONF = os.path.join(os.path.dirname(__file__), "..", "..", "gunicorn.conf.py")


def test_one_worker_per_core_and_a_spare_unless_told(monkeypatch):
    monkeypatch.delenv("STTS_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert runpy.run_path(CONF)["workers"] == 5
    monkeypatch.delattr(os, "sched_getaffinity")  # not Linux: every core of the machine
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert runpy.run_path(CONF)["workers"] == 3
    monkeypatch.setenv("STTS_WORKERS", "9")
    assert runpy.run_path(CONF)["workers"] == 9


# --- the clock, in process ------------------------------------------------------------------

def _start_response(status, headers, exc_info=None):
    return lambda data: None


def test_the_clock_holds_a_request_from_its_start_until_its_answer_is_closed():
    seen = []

    def app(environ, start_response):
        seen.append(clock.oldest())
        start_response("200 OK", [])
        return iter([b"a", b"b"])

    clock = RequestClock(app)
    assert clock.oldest() is None
    before = time.monotonic()
    answer = clock({}, _start_response)
    assert seen[0] is not None and before <= seen[0] <= time.monotonic()
    assert clock.oldest() == seen[0], "the answer is not written yet"
    assert list(answer) == [b"a", b"b"]
    assert clock.oldest() == seen[0], "a streamed answer runs until the server closes it"
    answer.close()
    assert clock.oldest() is None


def test_the_oldest_of_several_requests_in_progress_is_kept():
    clock = RequestClock(lambda environ, start_response: [b""])
    first = clock({}, _start_response)
    time.sleep(0.01)
    second = clock({}, _start_response)
    started = clock.oldest()
    first.close()
    assert clock.oldest() > started
    second.close()
    assert clock.oldest() is None


def test_a_request_that_fails_is_no_longer_in_progress():
    def failing(environ, start_response):
        raise RuntimeError("boom")

    clock = RequestClock(failing)
    with pytest.raises(RuntimeError):
        clock({}, _start_response)
    assert clock.oldest() is None


def test_a_file_answer_reaches_the_server_as_a_file_and_ends_when_closed(tmp_path):
    class FileWrapper:
        def __init__(self, handle):
            self.handle = handle
            self.close = handle.close

    path = tmp_path / "file.txt"
    path.write_text("content")
    handle = path.open("rb")
    clock = RequestClock(lambda environ, start_response: FileWrapper(handle))
    answer = clock({"wsgi.file_wrapper": FileWrapper}, _start_response)
    assert isinstance(answer, FileWrapper), "sendfile needs the server's own wrapper"
    assert clock.oldest() is not None
    answer.close()
    assert handle.closed and clock.oldest() is None


# --- under gunicorn, with the production settings -------------------------------------------

@pytest.fixture(params=["1", "2"], ids=["sync", "threaded"])
def served(request, tmp_path):
    """The test app under gunicorn.conf.py with one worker and a 2 s timeout: the default
    sync worker, and a threaded one (``STTS_THREADS=2``)."""
    module_dir = tmp_path / "slowapp"
    module_dir.mkdir()
    (module_dir / "slow_wsgi.py").write_text(SLOW_WSGI)
    env = {"STTS_TIMEOUT": str(TIMEOUT), "STTS_INSTANCE_PATH": str(tmp_path / "inst"),
           "STTS_THREADS": request.param,
           "PYTHONPATH": os.pathsep.join([str(module_dir), os.getcwd(),
                                          os.environ.get("PYTHONPATH", "")])}
    with harness.gunicorn("slow_wsgi:app", env, workers=1) as port:
        yield port, request.param != "1"


def _get(connection, path) -> tuple[int, str, str | None]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read().decode(), response.getheader("Connection")


@pytest.mark.slow
def test_threaded_workers_keep_a_connection_for_several_requests(served):
    """A sync worker closes the connection after its answer (it takes the next connection
    when it is free); a threaded worker keeps it for the client's next request."""
    port, threaded = served
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    status, pid, header = _get(connection, "/pid")
    first_socket = connection.sock
    assert status == 200
    if not threaded:
        assert (header or "").lower() == "close" and first_socket is None
        return
    assert (header or "").lower() != "close"
    assert first_socket is not None, "the server closed the connection after one answer"
    for _ in range(5):
        assert _get(connection, "/pid")[:2] == (200, pid)
        assert connection.sock is first_socket
    connection.close()


@pytest.mark.slow
def test_a_request_that_outlives_the_timeout_ends_its_worker(served):
    served, _ = served
    control = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    _, pid, _ = _get(control, "/pid")
    # Short requests for longer than the timeout, and an idle open connection: same worker.
    deadline = time.monotonic() + TIMEOUT * 1.5
    while time.monotonic() < deadline:
        assert _get(control, "/sleep?seconds=0.3")[:2] == (200, pid)
    time.sleep(TIMEOUT * 1.5)
    assert _get(control, "/pid")[:2] == (200, pid)
    control.close()

    stuck = http.client.HTTPConnection("127.0.0.1", served, timeout=TIMEOUT * 6)
    started = time.monotonic()
    try:  # a sync worker still answers 500 as it ends; a threaded one drops the connection
        status = _get(stuck, "/sleep?seconds=60")[0]
    except (http.client.HTTPException, ConnectionError):
        status = None
    assert status in (None, 500)
    assert time.monotonic() - started < TIMEOUT * 5, "the master did not end the worker"
    stuck.close()

    deadline = time.monotonic() + 20
    while True:
        try:
            status, new_pid, _ = _get(http.client.HTTPConnection("127.0.0.1", served,
                                                                 timeout=5), "/pid")
            break
        except (OSError, http.client.HTTPException):
            assert time.monotonic() < deadline, "no worker came back"
            time.sleep(0.2)
    assert status == 200 and new_pid != pid
