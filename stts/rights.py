"""The one permission table: which roles may take each action, and a user's roles.

This is the domain rule, used alike by the web guard (``stts.permissions``), the services and
the worker (structured messages apply it to their sender). Roles of a user: their STTS profile
(STTS1/2/3, only with the web application), LOCAL_MANAGER (who has the rights of STTS3 in the
desk), XML_SENDER, and the institution roles.
"""
from __future__ import annotations

from peewee import SQL

from stts import fastsql
from stts.models import Application, InstitutionRole, UserApplication, UserProfile

ANY_USER = "ANY_USER"
STTS_ALL = frozenset({"STTS1", "STTS2", "STTS3"})

PERMISSIONS: dict[str, frozenset[str]] = {
    # Every logged-in user: own account.
    "account.own": frozenset({ANY_USER}),
    "desk.home": STTS_ALL | {"XML_SENDER"},
    # Dossier desk: the guide's profile matrix (shared/docs/domain.md).
    "desk.request": STTS_ALL,
    "desk.transfer": STTS_ALL,
    "desk.modify": STTS_ALL,
    "desk.search": STTS_ALL,
    "desk.cease": frozenset({"STTS2", "STTS3"}),
    "desk.cancel_action": frozenset({"STTS3"}),
    "desk.tasks": frozenset({"STTS3"}),
    "xml.send": frozenset({"XML_SENDER"}),
    "xml.api": frozenset({"TECHNICAL_ACCOUNT"}),  # checked by stts.blueprints.api.bearer_token
    # Local-manager console.
    "console.users": frozenset({"LOCAL_MANAGER"}),
    "console.structured_messages": frozenset({"LOCAL_MANAGER"}),
    "console.activity": frozenset({"LOCAL_MANAGER"}),
    # Statistics: the operator's dashboard, one's own work, the regulator's market view.
    "stats.home": STTS_ALL | {"LOCAL_MANAGER", "CASE_HANDLER", "AUDITOR"},
    "stats.operator": frozenset({"LOCAL_MANAGER", "STTS3"}),
    "stats.own": STTS_ALL,
    "stats.market": frozenset({"CASE_HANDLER", "AUDITOR"}),
    # Institution back-office.
    "backoffice.home": frozenset({"ACCESS_AGENT", "CASE_HANDLER", "AUDITOR"}),
    "backoffice.access_requests": frozenset({"ACCESS_AGENT"}),
    "backoffice.unlock": frozenset({"ACCESS_AGENT"}),
    "backoffice.review": frozenset({"CASE_HANDLER"}),
    "backoffice.register_feed": frozenset({"CASE_HANDLER"}),
    "backoffice.audit": frozenset({"AUDITOR"}),
}


def check_action(action: str) -> str:
    """``action``, or KeyError when the table does not know it (a typo is a bug, not a 403)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    return action


def roles_of(user) -> frozenset[str]:
    """The user's roles, computed once per user object (it lives for one request or job)."""
    cached = getattr(user, "_stts_roles", None)
    if cached is not None:
        return cached
    roles = {ANY_USER}
    apps, profiles = set(), set()
    for kind, code in fastsql.select("roles-of-user", _grants_query, user=user.id):
        if kind == "application":
            apps.add(code)
        elif kind == "profile":
            profiles.add(code)
        else:
            roles.add(code)
    company = user.company
    if user.is_local_manager and company.is_operator:
        roles |= {"LOCAL_MANAGER", "STTS3"}
        apps |= {"STTS_WEB", "STTS_XML"}
    elif "STTS_WEB" in apps and company.is_operator:
        roles |= profiles
    if "STTS_XML" in apps and company.is_operator and company.xml_enabled:
        roles.add("XML_SENDER")
    user._stts_roles = frozenset(roles)
    return user._stts_roles


def _grants_query():
    """A user's applications, STTS profile and institution roles, in one statement."""
    user = fastsql.Param("user")
    applications = (Application.select(SQL("'application'"), Application.code)
                    .join(UserApplication).where(UserApplication.user == user))
    profile = UserProfile.select(SQL("'profile'"), UserProfile.profile).where(
        UserProfile.user == user)
    institution = InstitutionRole.select(SQL("'institution'"), InstitutionRole.role).where(
        InstitutionRole.user == user)
    return (applications + profile + institution).tuples()


def allowed(user, action: str) -> bool:
    """May ``user`` (a User, or None) take ``action``?"""
    check_action(action)
    if user is None or not user.is_authenticated:
        return False
    return bool(PERMISSIONS[action] & roles_of(user))
