"""The web guard over the permission table (``stts.rights``): views are guarded with
``@requires(action)`` or declared ``@public``; a test fails for any other endpoint."""
from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user

from stts.auth import login_manager
from stts.rights import allowed, check_action


def can(action: str) -> bool:
    """For templates: may the current user take ``action``? (The user itself, not the proxy:
    a page asks this for each item of its navigation.)"""
    return allowed(current_user._get_current_object(), action)


def requires(action: str):
    """Guard a view: 401 for anonymous users, 403 without the right."""
    check_action(action)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.stts_access = action
        return wrapped

    return decorator


def public(view):
    """Mark a view as reachable without logging in (checked by the deny-by-default test)."""
    view.stts_access = "public"
    return view
