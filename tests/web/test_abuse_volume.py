"""Volume abuse, scripted: one client flooding the public portal, the login or the first
login, or many clients aiming at one enterprise number, get the translated 429 page with
Retry-After; the counters are shared by every worker (a file, not a process's memory). The
clock is moved, never slept. Runs on SQLite and, with STTS_TEST_DATABASE_URL, PostgreSQL."""
import multiprocessing
import time
from datetime import timedelta

import pytest
import time_machine

from stts.ratelimit import SharedFileStorage
from tests.conftest import text_of

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture
def limits(app):
    app.config.update(RATELIMIT_PUBLIC_GET="10 per minute", RATELIMIT_PUBLIC_POST="5 per minute",
                      RATELIMIT_PER_ENTERPRISE="3 per hour")
    return app


def test_a_flood_of_logins_gets_the_translated_429_with_retry_after(limits, client):
    start = time.time()
    with time_machine.travel(start, tick=False):
        answers = [client.post("/login", data={"username": f"nobody{i}", "password": "x" * 12},
                               environ_base=ATTACKER).status_code for i in range(8)]
        assert answers[:5] == [422] * 5 and answers[5:] == [429] * 3
        refused = client.post("/login", data={"username": "a", "password": "b"},
                              environ_base=ATTACKER, headers={"Accept-Language": "fr"})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert "Trop de requêtes" in text_of(refused)
        # Another address is not affected.
        other = client.post("/login", data={"username": "a", "password": "b" * 12},
                            environ_base=NEIGHBOUR)
        assert other.status_code == 422
    with time_machine.travel(start + 61, tick=False):
        assert client.post("/login", data={"username": "a", "password": "b" * 12},
                           environ_base=ATTACKER).status_code == 422


def test_public_pages_are_limited_per_address(limits, client):
    with time_machine.travel(time.time(), tick=False):
        codes = [client.get("/login", environ_base=ATTACKER).status_code for _ in range(12)]
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
        assert client.get("/", environ_base=NEIGHBOUR).status_code == 200


@pytest.mark.parametrize("path", ["/access-request/follow", "/access-request/company"])
def test_public_posts_of_the_portal_are_limited(limits, client, path):
    with time_machine.travel(time.time(), tick=False):
        codes = [client.post(path, data={"ticket": "X"}, environ_base=ATTACKER).status_code
                 for _ in range(7)]
        assert 429 not in codes[:5] and codes[5:] == [429, 429]


def test_one_enterprise_number_is_limited_from_every_address(limits, client):
    with time_machine.travel(time.time(), tick=False):
        codes = [client.post("/access-request/check/company/enterprise_number",
                             data={"enterprise_number": "0403.019.261"},
                             environ_base={"REMOTE_ADDR": f"203.0.113.{i}"}).status_code
                 for i in range(5)]
        assert 429 not in codes[:3] and codes[3:] == [429, 429]


def _hit(path, results):
    storage = SharedFileStorage(f"sqlite-shared://{path}")
    results.put([storage.incr("shared-key", 60) for _ in range(50)])


def test_the_counters_are_shared_by_processes(tmp_path):
    """Four processes stand for four gunicorn workers: together they count every hit."""
    path = tmp_path / "ratelimit.sqlite"
    SharedFileStorage(f"sqlite-shared://{path}")
    results = multiprocessing.get_context("spawn").Queue()
    workers = [multiprocessing.get_context("spawn").Process(target=_hit, args=(path, results))
               for _ in range(4)]
    for process in workers:
        process.start()
    seen = sorted(value for _ in workers for value in results.get(timeout=60))
    for process in workers:
        process.join(timeout=60)
    assert seen == list(range(1, 201))
    assert SharedFileStorage(f"sqlite-shared://{path}").get("shared-key") == 200


def test_the_storage_follows_the_configuration(app):
    from stts.ratelimit import storage_uri
    assert storage_uri(app).startswith("sqlite-shared://")
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/13"
    assert storage_uri(app) == "redis://127.0.0.1:6379/13"
    _ = timedelta


def test_the_limiter_runs_only_for_the_views_with_limits(limits, client, monkeypatch):
    """Every view Flask-Limiter holds limits for is among those its hooks run for (a view
    left out would go unlimited); a logged-in page without limits neither counts nor
    answers with limit headers, a public page does both."""
    from flask_limiter.util import get_qualified_name

    from stts.ratelimit import limiter
    from tests.conftest import login

    scoped = limits.extensions["stts_rate_limited"]
    marked = {endpoint for endpoint, view in limits.view_functions.items()
              if get_qualified_name(view) in limiter._marked_for_limiting}
    assert marked and marked <= scoped
    assert {"auth.login", "desk.lookup", "desk.request_tariff", "portal.follow"} <= scoped
    hits = []
    real_hit = limiter.limiter.hit
    monkeypatch.setattr(limiter.limiter, "hit", lambda *args, **kwargs: (
        hits.append(args), real_hit(*args, **kwargs))[1])
    public = client.get("/login")
    assert hits and "X-RateLimit-Limit" in public.headers
    login(client, "stts3.alpha")
    hits.clear()
    for page in ("/home", "/desk/", "/desk/tasks", "/desk/dossiers?name=a"):
        response = client.get(page)
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers, page
    assert hits == []
