"""Finding the company's users, as the local manager's console lists them: the search, its
complement (everyone who does NOT match), the CSV export's rows, one user's page.

Every function takes the acting local manager and reads inside that manager's company only:
an id from another company is ``NotFound``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, NodeList, fn

from stts.db import utcnow
from stts.models import Application, User, UserApplication, UserProfile
from stts.pagination import Page, paginate
from stts.services import NotFound, parse_id
from stts.text import like_prefix, search_key

PAGE_SIZE = 20

SORTS = {
    "username": (User.username,),
    "name": (User.last_name_key, User.first_name_key),
    "last_login": (User.last_login_at,),
}

BLOCKED_CHOICES = ("", "yes", "no")

APPLICATION_CHOICES = ("", "STTS_WEB", "STTS_XML", "none")



def get_company_user(manager: User, user_id) -> User:
    """A user of the manager's company, or NotFound (other companies' ids look unknown)."""
    user_id = parse_id(user_id)
    if user_id is None:
        raise NotFound(_l("This user does not exist."))
    user = (
        User.select(User, UserProfile)
        .join(UserProfile, JOIN.LEFT_OUTER, on=(UserProfile.user == User.id), attr="profile_row")
        .where((User.id == user_id) & (User.company == manager.company_id))
        .first()
    )
    if user is None:
        raise NotFound(_l("This user does not exist."))
    user.app_codes = applications_of([user.id]).get(user.id, set())
    return user



def applications_of(user_ids) -> dict[int, set[str]]:
    """Application codes per user, in one query."""
    result: dict[int, set[str]] = {}
    if not user_ids:
        return result
    rows = (
        UserApplication.select(UserApplication.user, Application.code)
        .join(Application)
        .where(UserApplication.user.in_(list(user_ids)))
        .tuples()
    )
    for user_id, code in rows:
        result.setdefault(user_id, set()).add(code)
    return result



def user_state(user: User, now=None) -> str:
    """One of: blocked, locked, provisional, active (the list's 'state' column)."""
    now = now or utcnow()
    if user.blocked:
        return "blocked"
    if user.locked_permanently or (user.locked_until is not None and user.locked_until > now):
        return "locked"
    if user.password_provisional:
        return "provisional"
    return "active"



@dataclass
class UserCriteria:
    last_name: str = ""
    first_name: str = ""
    national_number: str = ""  # already cleaned (exact match)
    blocked: str = ""  # "", "yes", "no"
    application: str = ""  # "", STTS_WEB, STTS_XML, "none"
    complement: bool = False
    sort: str = "name"
    descending: bool = False

    def condition(self):
        """The plain search as one expression (None when no criterion is given)."""
        parts = []
        if self.last_name.strip():
            parts.append(_prefix(User.last_name_key, self.last_name))
        if self.first_name.strip():
            parts.append(_prefix(User.first_name_key, self.first_name))
        if self.national_number:
            parts.append(User.national_number == self.national_number)
        if self.blocked == "yes":
            parts.append(User.blocked == True)  # noqa: E712
        elif self.blocked == "no":
            parts.append(User.blocked == False)  # noqa: E712
        if self.application in ("STTS_WEB", "STTS_XML"):
            parts.append(fn.EXISTS(_applications_of_row(self.application)))
        elif self.application == "none":
            parts.append(~fn.EXISTS(_applications_of_row()))
        if not parts:
            return None
        condition = parts[0]
        for part in parts[1:]:
            condition &= part
        return condition



def _prefix(column, text: str):
    """column LIKE 'folded-text%' ESCAPE '\\' (works on SQLite and PostgreSQL alike)."""
    return NodeList((column, SQL("LIKE"), like_prefix(search_key(text)), SQL("ESCAPE '\\'")))



def _applications_of_row(code: str | None = None):
    """The row's user's applications (``code`` alone when given), for EXISTS: one probe of
    the (user, application) index per user of the company, not a list of every company's
    users of that application (5,000 at the benchmark's size)."""
    query = UserApplication.select(SQL("1")).where(UserApplication.user == User.id)
    if code:
        query = query.join(Application).where(Application.code == code)
    return query



def search_query(manager: User, criteria: UserCriteria):
    """The users of the manager's company matching ``criteria`` (or, with the complement
    switch, exactly the company's users that do NOT match), ordered as asked."""
    scope = User.company == manager.company_id
    condition = criteria.condition()
    if condition is None:
        where = scope if not criteria.complement else (scope & (User.id.is_null()))
    elif criteria.complement:
        where = scope & ~condition
    else:
        where = scope & condition
    columns = SORTS.get(criteria.sort, SORTS["name"])
    order = [c.desc() if criteria.descending else c.asc() for c in columns]
    order.append(User.id.desc() if criteria.descending else User.id.asc())
    return (
        User.select(User, UserProfile)
        .join(UserProfile, JOIN.LEFT_OUTER, on=(UserProfile.user == User.id), attr="profile_row")
        .where(where)
        .order_by(*order)
    )



@dataclass
class UserPage(Page):
    """A page of users (``rows``) with the criteria that found them."""

    criteria: UserCriteria = field(default_factory=UserCriteria)



def search_users(manager: User, criteria: UserCriteria, page: int = 1,
                 page_size: int = PAGE_SIZE) -> UserPage:
    found = paginate(search_query(manager, criteria), page, page_size)
    _decorate(found.rows)
    return UserPage(rows=found.rows, page=found.page, total=found.total, size=found.size,
                    criteria=criteria)



def _decorate(users) -> None:
    apps = applications_of([u.id for u in users])
    now = utcnow()
    for user in users:
        user.app_codes = apps.get(user.id, set())
        user.state = user_state(user, now)
        user.profile_code = _profile_code(user)



def _profile_code(user) -> str | None:
    if user.is_local_manager:
        return "LOCAL_MANAGER"
    row = getattr(user, "profile_row", None)
    return row.profile if row is not None and row.profile else None



def iter_search(manager: User, criteria: UserCriteria, batch: int = 500):
    """Every matching user, fetched in batches (for the CSV export)."""
    query = search_query(manager, criteria)
    page = 1
    while True:
        users = list(query.paginate(page, batch))
        if not users:
            return
        _decorate(users)
        yield from users
        if len(users) < batch:
            return
        page += 1
