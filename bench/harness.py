"""Serve an app under the production gunicorn settings and measure it from another process.

Throughput comes from wrk (Debian's package) with several connections; latency from a single
sequential client (p50, p95). Every figure is reported beside the bare-Flask "hello" figure of
the same run.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# Every benchmark client comes from one address (127.0.0.1) and sends thousands of requests
# a minute: the limits that count per address or per user are lifted. The limiter still
# checks and counts every request as it does in production; only the thresholds differ.
ONE_ADDRESS_LIMITS = {"STTS_RATELIMIT_PUBLIC_GET": "1000000 per minute",
                      "STTS_RATELIMIT_PUBLIC_POST": "1000000 per minute",
                      "STTS_RATELIMIT_LOOKUP": "1000000 per minute"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict | None = None, workers: int | None = None):
    """Run gunicorn with gunicorn.conf.py (the documented production settings)."""
    port = free_port()
    environment = {**os.environ, **(env or {}), "STTS_BIND": f"127.0.0.1:{port}",
                   "STTS_ACCESS_LOG": "/dev/null"}
    if workers:
        environment["STTS_WORKERS"] = str(workers)
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(process.stderr.read().decode()[-3000:]) from None
            time.sleep(0.2)
    time.sleep(1.0)  # let every worker boot
    try:
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wrk_throughput(port: int, path: str, headers: dict, seconds: int = 8,
                   connections: int = 8, method: str = "GET", body: str | None = None) -> float:
    """Requests per second from wrk (non-2xx answers make the measurement invalid). A POST
    (``body``: the form, urlencoded) goes through a wrk script."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if method != "GET":
            script.write(f"wrk.method = {json.dumps(method)}\nwrk.body = {json.dumps(body or '')}\n")
            script.flush()
            command += ["-s", script.name]
        command.append(f"http://127.0.0.1:{port}{path}")
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"{path} answered errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def single_client_latency(port: int, path: str, headers: dict, requests: int = 200,
                          method: str = "GET", warm_up: int = 10,
                          body: str | None = None, shown=None) -> dict:
    """p50/p95 in milliseconds for one client sending requests one after the other.
    ``shown(answer)``, when given, reads the last answer's text into ``"shown"``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings = []
    for index in range(requests + warm_up):
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status >= 400:
            raise RuntimeError(f"{path} answered {response.status}: {answer[:300]!r}")
        if index >= warm_up:  # warm-up excluded
            timings.append(elapsed)
    connection.close()
    timings.sort()
    measured = {"p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                "requests": len(timings)}
    if shown is not None:
        measured["shown"] = shown(answer.decode("utf-8", "replace"))
    return measured


def timed_download(port: int, path: str, headers: dict) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    first = None
    size = 0
    rows = 0
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        rows += chunk.count(b"\n")
    total = time.perf_counter() - started
    return {"seconds": round(total, 3), "first_byte_s": round(first or total, 3),
            "bytes": size, "rows": rows - 1, "status": response.status}


def log_in(port: int, username: str, password: str) -> str:
    """Log in through the form (CSRF included) and return the Cookie header value."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    from urllib.parse import urlencode

    body = urlencode({"csrf_token": token.group(1), "username": username, "password": password})
    connection.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login of {username} failed: {response.status}")
    return _cookies(response) or cookies


def post_headers(port: int, cookie: str) -> dict:
    """What a logged-in user's form POST sends besides its body: the session cookie, the
    CSRF token (read from a page, as htmx does) and the form's content type."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/home", headers={"Cookie": cookie})
    response = connection.getresponse()
    page = response.read().decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    # The first page that issues a CSRF token stores it in the session: a new cookie.
    cookie = _cookies(response) or cookie
    return {"Cookie": cookie, "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded"}


def _cookies(response) -> str:
    values = [header.split(";", 1)[0] for name, header in response.getheaders()
              if name.lower() == "set-cookie"]
    return "; ".join(values)
