"""Users, their sessions, applications, STTS profile and institution roles."""
from flask_login import UserMixin
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from stts.db import BaseModel, utcnow
from stts.models.org import Company

PROFILES = ("STTS1", "STTS2", "STTS3")
APPLICATIONS = ("STTS_WEB", "STTS_XML")
INSTITUTION_ROLES = ("ACCESS_AGENT", "CASE_HANDLER", "AUDITOR")


class User(UserMixin, BaseModel):
    company = ForeignKeyField(Company, backref="users", on_delete="RESTRICT")
    username = CharField(max_length=64, unique=True)
    last_name = CharField(max_length=100)
    first_name = CharField(max_length=100)
    # Accent- and case-folded copies of the names, for prefix search on an index.
    last_name_key = CharField(max_length=100, index=True)
    first_name_key = CharField(max_length=100, index=True)
    national_number = CharField(max_length=11)
    email = CharField(max_length=254, null=True)
    language = CharField(max_length=2, default="fr")
    password_hash = CharField(max_length=255)
    password_provisional = BooleanField(default=False)
    password_expires_at = DateTimeField(null=True)
    provisional_used_at = DateTimeField(null=True)
    # The username given with provisional credentials must be replaced by one the person
    # chooses (first login of a local manager): then it can never change again.
    username_provisional = BooleanField(default=False)
    is_local_manager = BooleanField(default=False)
    blocked = BooleanField(default=False)
    failed_logins = IntegerField(default=0)
    temporary_lockouts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    locked_permanently = BooleanField(default=False)
    last_login_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            # One account per person per company.
            (("company", "national_number"), True),
            (("company", "last_name_key", "first_name_key"), False),
            # The console's list sorted by username or last login (migration 0024).
            (("company", "username", "id"), False),
            (("company", "last_login_at", "id"), False),
        )

    session_token: str | None = None  # set by the session loader for the current request

    def get_id(self) -> str | None:
        """flask-login stores this in the cookie: the server-side session's token."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        return not self.blocked

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# One local manager per company, enforced by the schema itself.
User.add_index(
    User.index(User.company, unique=True, name="user_one_local_manager_per_company").where(
        SQL("is_local_manager")
    )
)


class LoginSession(BaseModel):
    """A server-side session. The cookie holds the token; the row holds its life."""

    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    must_change_password = BooleanField(default=False)


class LoginThrottle(BaseModel):
    """Password guesses counted per account and source: ``source`` is the client address, or
    ``*`` for the whole account. Waits grow with each lockout and are capped; failures alone
    never lock an account for good. ``known``: a login succeeded from this source, so the
    account-wide wait (a guesser elsewhere) does not apply to it."""

    user = ForeignKeyField(User, backref="login_throttles", on_delete="CASCADE")
    source = CharField(max_length=64)
    attempts = IntegerField(default=0)
    lockouts = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_attempt_at = DateTimeField(default=utcnow)
    known = BooleanField(default=False)

    class Meta:
        indexes = ((("user", "source"), True),)


class Application(BaseModel):
    code = CharField(max_length=20, unique=True)


class UserApplication(BaseModel):
    user = ForeignKeyField(User, backref="applications", on_delete="CASCADE")
    application = ForeignKeyField(Application, on_delete="RESTRICT")

    class Meta:
        indexes = ((("user", "application"), True), (("application", "user"), False))


class UserProfile(BaseModel):
    """The user's single STTS profile: the primary key is the user, so two are impossible."""

    user = ForeignKeyField(User, primary_key=True, backref="profile_rows", on_delete="CASCADE")
    profile = CharField(max_length=5, index=True)


class InstitutionRole(BaseModel):
    user = ForeignKeyField(User, backref="institution_roles", on_delete="CASCADE")
    role = CharField(max_length=20)

    class Meta:
        indexes = ((("user", "role"), True),)
