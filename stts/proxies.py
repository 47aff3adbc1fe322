"""The client's real address behind the documented load balancer: ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are honoured only when the request comes from one of the configured
trusted proxies (``FORWARDED_ALLOW_IPS``, env ``STTS_FORWARDED_ALLOW_IPS``, comma separated);
from anyone else they are ignored, so nobody can choose the address that the audit trail
records and the rate limits count."""
from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    def __init__(self, app, trusted: str | None):
        self.app = app
        self.trusted = {part.strip() for part in (trusted or "").split(",") if part.strip()}
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def init_app(app) -> None:
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config.get("FORWARDED_ALLOW_IPS"))
