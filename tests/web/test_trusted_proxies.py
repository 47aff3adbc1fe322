"""Checklist 38: the client address in the audit trail (and for the rate limits) is the real
one; X-Forwarded-For counts only from the configured trusted proxies."""
import pytest

from stts.demo import DEMO_PASSWORD
from stts.models import AuditEvent
from stts.proxies import TrustedProxyFix


def _last_login_address():
    return AuditEvent.select().where(AuditEvent.action == "auth.login").order_by(
        AuditEvent.id.desc()).get().ip


@pytest.fixture
def balancer(app):
    """The app behind a balancer at 10.0.0.10 (as STTS_FORWARDED_ALLOW_IPS=10.0.0.10 would)."""
    assert isinstance(app.wsgi_app, TrustedProxyFix)  # wired by create_app
    original = set(app.wsgi_app.trusted)
    app.wsgi_app.trusted = {"10.0.0.10"}
    yield
    app.wsgi_app.trusted = original


def _login_from(client, peer):
    """A login arriving from ``peer`` that claims to be forwarded for 198.51.100.23."""
    client.post("/login", data={"username": "stts1.alpha", "password": DEMO_PASSWORD},
                environ_base={"REMOTE_ADDR": peer},
                headers={"X-Forwarded-For": "198.51.100.23"})


def test_the_balancer_forwards_the_clients_address(balancer, client):
    _login_from(client, "10.0.0.10")
    assert _last_login_address() == "198.51.100.23"


def test_anyone_else_cannot_choose_the_recorded_address(balancer, client):
    _login_from(client, "203.0.113.9")
    assert _last_login_address() == "203.0.113.9"
