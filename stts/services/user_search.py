"""Finding the company's users, as the local manager's console lists them: the search, its
complement (everyone who does NOT match), the CSV export's rows, one user's page.

Every function takes the acting local manager and reads inside that manager's company only:
an id from another company is ``NotFound``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from peewee import JOIN, SQL, NodeList, fn

from stts import fastsql
from stts.db import utcnow
from stts.i18n import lazy_gettext as _l
from stts.models import Application, User, UserApplication, UserProfile
from stts.pagination import Page, paginate_ids
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
    """Application codes per user, in one prepared statement (one shape per number of
    users: a page holds at most ``PAGE_SIZE``, an export batch 500)."""
    result: dict[int, set[str]] = {}
    user_ids = list(user_ids)
    if not user_ids:
        return result
    Param = fastsql.Param
    names = [f"u{position}" for position in range(len(user_ids))]
    rows = fastsql.select(("user-applications", len(names)), lambda: (
        UserApplication.select(UserApplication.user, Application.code)
        .join(Application)
        .where(UserApplication.user.in_([Param(name) for name in names]))
        .tuples()), **dict(zip(names, user_ids, strict=True)))
    for user_id, code in rows:
        result.setdefault(user_id, set()).add(code)
    return result



def user_state(user: dict, now=None) -> str:
    """One of: blocked, locked, provisional, active (the list's 'state' column), of a row of
    ``RESULT_COLUMNS``."""
    now = now or utcnow()
    if user["blocked"]:
        return "blocked"
    if user["locked_permanently"] or (
            user["locked_until"] is not None and user["locked_until"] > now):
        return "locked"
    if user["password_provisional"]:
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

    def values(self, manager: User) -> dict:
        """The values the search binds, by name; which names are present is the query's
        shape (``_where``)."""
        values = {"company": manager.company_id}
        if self.last_name.strip():
            values["last_name"] = like_prefix(search_key(self.last_name))
        if self.first_name.strip():
            values["first_name"] = like_prefix(search_key(self.first_name))
        if self.national_number:
            values["national_number"] = self.national_number
        if self.blocked in ("yes", "no"):
            values["blocked"] = self.blocked == "yes"
        if self.application in ("STTS_WEB", "STTS_XML"):
            values["application"] = self.application
        elif self.application == "none":
            values["no_application"] = True  # a shape, not a value: no Param reads it
        return values



def _where(names, complement: bool):
    """The company's users matching the criteria ``names`` (keys of ``UserCriteria.values``),
    or with ``complement`` exactly the company's users that do NOT match; written with
    ``Param``s (``stts.fastsql``)."""
    Param = fastsql.Param
    scope = User.company == Param("company")
    parts = []
    if "last_name" in names:
        parts.append(_prefix(User.last_name_key, Param("last_name")))
    if "first_name" in names:
        parts.append(_prefix(User.first_name_key, Param("first_name")))
    if "national_number" in names:
        parts.append(User.national_number == Param("national_number"))
    if "blocked" in names:
        parts.append(User.blocked == Param("blocked", User.blocked))
    if "application" in names:
        parts.append(fn.EXISTS(_applications_of_row(Param("application"))))
    elif "no_application" in names:
        parts.append(~fn.EXISTS(_applications_of_row()))
    if not parts:
        return scope if not complement else (scope & (User.id.is_null()))
    condition = parts[0]
    for part in parts[1:]:
        condition &= part
    return scope & (~condition if complement else condition)



def _prefix(column, pattern):
    """column LIKE pattern ESCAPE '\\' (works on SQLite and PostgreSQL alike)."""
    return NodeList((column, SQL("LIKE"), pattern, SQL("ESCAPE '\\'")))



def _applications_of_row(code=None):
    """The row's user's applications (``code`` alone when given), for EXISTS: one probe of
    the (user, application) index per user of the company, not a list of every company's
    users of that application (5,000 at the benchmark's size)."""
    query = UserApplication.select(SQL("1")).where(UserApplication.user == User.id)
    if code is not None:
        query = query.join(Application).where(Application.code == code)
    return query



def _order(criteria: UserCriteria):
    columns = SORTS.get(criteria.sort, SORTS["name"])
    order = [c.desc() if criteria.descending else c.asc() for c in columns]
    order.append(User.id.desc() if criteria.descending else User.id.asc())
    return order



# What the list and its CSV export show, as plain rows (dicts): a model object per row
# converts every column of the user and of the profile.
RESULT_COLUMNS = (User.id, User.username, User.last_name, User.first_name,
                  User.national_number, User.email, User.is_local_manager, User.blocked,
                  User.locked_permanently, User.locked_until, User.password_provisional,
                  User.last_login_at, UserProfile.profile)


def _rows(query):
    return (query.select(*RESULT_COLUMNS)
            .join(UserProfile, JOIN.LEFT_OUTER, on=(UserProfile.user == User.id)).dicts())



@dataclass
class UserPage(Page):
    """A page of users (``rows``) with the criteria that found them."""

    criteria: UserCriteria = field(default_factory=UserCriteria)



def search_users(manager: User, criteria: UserCriteria, page: int = 1,
                 page_size: int = PAGE_SIZE) -> UserPage:
    """One page of the search (rows of ``RESULT_COLUMNS`` as dicts, with ``app_codes``,
    ``state`` and ``profile_code``): prepared statements (``stts.pagination.paginate_ids``),
    then the page's applications in one query."""
    values = criteria.values(manager)
    names = tuple(sorted(values))
    key = ("user-search", names, criteria.complement, criteria.sort, criteria.descending)
    found = paginate_ids(
        key, lambda: User.select(User.id).where(_where(names, criteria.complement)),
        values, page, page_size, _order(criteria), lambda in_page: _rows(User.select().where(
            in_page)))
    _decorate(found.rows)
    return UserPage(rows=found.rows, page=found.page, total=found.total, size=found.size,
                    exact=found.exact, criteria=criteria)



def _decorate(users: list[dict]) -> None:
    apps = applications_of([u["id"] for u in users])
    now = utcnow()
    for user in users:
        user["app_codes"] = sorted(apps.get(user["id"], ()))
        user["state"] = user_state(user, now)
        user["profile_code"] = "LOCAL_MANAGER" if user["is_local_manager"] else (
            user["profile"] or None)



def iter_search(manager: User, criteria: UserCriteria, batch: int = 500):
    """Every matching user (rows as ``search_users`` gives them), read in one streamed
    prepared statement, decorated in batches (for the CSV export)."""
    values = criteria.values(manager)
    names = tuple(sorted(values))
    key = ("user-export", names, criteria.complement, criteria.sort, criteria.descending)
    rows = fastsql.select(key, lambda: _rows(User.select()).where(
        _where(names, criteria.complement)).order_by(*_order(criteria)), **values)
    chunk = []
    for row in rows.iterator():
        chunk.append(row)
        if len(chunk) == batch:
            _decorate(chunk)
            yield from chunk
            chunk = []
    _decorate(chunk)
    yield from chunk
