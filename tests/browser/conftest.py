"""Browser fixtures: the app served by a real server process on a fresh seeded database,
driven by Playwright through Debian's Chromium.

Without Chromium the browser tests skip on a laptop; CI sets STTS_REQUIRE_BROWSER=1, which
turns that skip into a failure.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("STTS_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _require_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package"
    else:
        missing = None if os.path.exists(CHROMIUM) else CHROMIUM
    if missing:
        if os.environ.get("STTS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {missing} is missing")
        pytest.skip(f"{missing} is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_instance(tmp_path) -> Path:
    path = tmp_path / "live-instance"
    path.mkdir()
    return path


@pytest.fixture
def live_server(db_config, live_instance):
    _require_browser()
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "STTS_INSTANCE_PATH": str(live_instance),
        "STTS_SECRET_KEY": "browser-test-secret",
        "STTS_AUDIT_HMAC_KEY": "browser-test-audit",
        "STTS_AUDIT_CHAIN_KEY": "browser-test-chain",
        "STTS_SESSION_COOKIE_SECURE": "false",
        "STTS_HUEY_IMMEDIATE": "1",
        "STTS_HUEY_SQLITE_PATH": str(live_instance / "huey.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    if "DATABASE_URL" in db_config:
        env["DATABASE_URL"] = db_config["DATABASE_URL"]
    else:
        env["STTS_SQLITE_PATH"] = db_config["SQLITE_PATH"]
    log = open(live_instance / "server.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--no-reload", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)  # noqa: S310 (local test server)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError((live_instance / "server.log").read_text()) from None
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server, locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture
def axe_check():
    """Run axe-core on the page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page)
        bad = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
        assert not bad, "accessibility violations on %s:\n%s" % (
            page.url,
            "\n".join(f"- {v['id']} ({v['impact']}): {v['help']} — "
                      f"{[n['target'] for n in v['nodes']][:5]}" for v in bad),
        )
        return results

    return check


def log_in(page, username, password=None):
    from stts.demo import DEMO_PASSWORD

    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password or DEMO_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()
