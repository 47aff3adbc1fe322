"""Server-side login sessions: the cookie carries a random token, the database its life."""
from __future__ import annotations

from flask import current_app

from stts import fastsql
from stts.db import utcnow
from stts.models import Company, LoginSession, User
from stts.tokens import digest, new_token


def open_session(user: User, *, must_change_password: bool = False) -> str:
    token = new_token()
    LoginSession.create(
        user=user, token_hash=digest(token), must_change_password=must_change_password
    )
    return token


def load_session(token: str) -> LoginSession | None:
    """The live session for ``token``, or None when unknown, idle too long or too old."""
    if not token or len(token) > 100:
        return None
    # Every request runs this: the session, its user and the user's company in one statement
    # prepared once per process.
    rows = fastsql.select("session-by-token", _session_with_user, token_hash=digest(token))
    row = next(iter(rows), None)
    if row is None:
        return None
    now = utcnow()
    seen_since, created_since = _live_since(now)
    if row.last_seen_at < seen_since or row.created_at < created_since or row.user.blocked:
        LoginSession.delete().where(LoginSession.id == row.id).execute()
        return None
    if now - row.last_seen_at > current_app.config["SESSION_TOUCH_INTERVAL"]:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
        row.last_seen_at = now
    return row


def _live_since(now) -> tuple:
    """A session is live if seen since the first moment and opened since the second (the
    idle and the absolute limits)."""
    config = current_app.config
    return (now - config["SESSION_IDLE_TIMEOUT"], now - config["SESSION_ABSOLUTE_TIMEOUT"])


def _session_with_user():
    return (LoginSession.select(LoginSession, User, Company).join(User).join(Company)
            .where(LoginSession.token_hash == fastsql.Param("token_hash")))


def end_session(token: str) -> None:
    LoginSession.delete().where(LoginSession.token_hash == digest(token)).execute()


def purge_expired_sessions() -> int:
    """Delete the sessions that can no longer be used (idle too long or too old): a session
    is otherwise only deleted when its cookie comes back, and a browser closed without
    logging out never sends it again. Returns how many were deleted."""
    seen_since, created_since = _live_since(utcnow())
    return LoginSession.delete().where((LoginSession.last_seen_at < seen_since)
                                       | (LoginSession.created_at < created_since)).execute()


def end_all_sessions(user_id: int) -> int:
    """End every session of a user (blocking, deletion, password change, replacement)."""
    return LoginSession.delete().where(LoginSession.user == user_id).execute()
