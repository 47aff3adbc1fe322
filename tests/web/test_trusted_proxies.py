"""Checklist 38: the client address in the audit trail (and for the rate limits) is the real
one; X-Forwarded-For counts only from the configured trusted proxies."""
from stts.demo import DEMO_PASSWORD
from stts.models import AuditEvent
from stts.proxies import TrustedProxyFix


def _last_login_address():
    return AuditEvent.select().where(AuditEvent.action == "auth.login").order_by(
        AuditEvent.id.desc()).get().ip


def _login_through(app, client, peer):
    assert isinstance(app.wsgi_app, TrustedProxyFix)  # wired by create_app
    app.wsgi_app.trusted = {"10.0.0.10"}  # as STTS_FORWARDED_ALLOW_IPS=10.0.0.10 would
    client.post("/login", data={"username": "stts1.alpha", "password": DEMO_PASSWORD},
                environ_base={"REMOTE_ADDR": peer},
                headers={"X-Forwarded-For": "198.51.100.23"})


def test_the_balancer_forwards_the_clients_address(app, client):
    original = set(app.wsgi_app.trusted)
    try:
        _login_through(app, client, "10.0.0.10")
        assert _last_login_address() == "198.51.100.23"
    finally:
        app.wsgi_app.trusted = original


def test_anyone_else_cannot_choose_the_recorded_address(app, client):
    original = set(app.wsgi_app.trusted)
    try:
        _login_through(app, client, "203.0.113.9")
        assert _last_login_address() == "203.0.113.9"
    finally:
        app.wsgi_app.trusted = original
