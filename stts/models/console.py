"""Local-manager console: technical accounts for XML sending and retired usernames."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from stts.db import BaseModel, utcnow
from stts.models.org import Company


class TechnicalAccount(BaseModel):
    """A non-personal account that sends structured messages with an API token.

    Only the sha256 of the token is stored; the token itself is shown once at creation.
    """

    company = ForeignKeyField(Company, backref="technical_accounts", on_delete="CASCADE")
    name = CharField(max_length=100)
    token_hash = CharField(max_length=64, unique=True)
    token_hint = CharField(max_length=8)  # first characters, to recognise a token
    created_at = DateTimeField(default=utcnow)
    created_by_id = IntegerField(null=True)  # no FK: history outlives deleted users
    revoked_at = DateTimeField(null=True)
    # Why: "manager" (revoked in the console), or the creator lost their authority:
    # "creator_replaced", "creator_blocked", "creator_deleted", "creator_gone" (found so by
    # the migration that introduced this rule). See docs/security.md, line 34.
    revoked_reason = CharField(max_length=20, null=True)
    last_used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("company", "revoked_at"), False),)


class RetiredUsername(BaseModel):
    """A username that belonged to a deleted account: never given out again."""

    username = CharField(max_length=64, unique=True)
    company_id = IntegerField(null=True)
    retired_at = DateTimeField(default=utcnow)
