"""Bearer secrets (session cookies, API tokens): random, and stored only as their digest."""
from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the database keeps of a token: a stolen table holds no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
