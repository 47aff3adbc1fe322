"""The audit trail: one row per security or business event, hash-chained."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from stts.db import BaseModel, utcnow


class AuditEvent(BaseModel):
    at = DateTimeField(default=utcnow, index=True)
    actor_id = IntegerField(null=True)  # no FK: history outlives deleted users
    actor_username = CharField(max_length=64, null=True)
    company_id = IntegerField(null=True)
    action = CharField(max_length=60)
    object_type = CharField(max_length=40, null=True)
    object_id = CharField(max_length=64, null=True)
    result = CharField(max_length=20, default="ok")
    details = TextField(default="{}")  # JSON: before/after values, never a clear national number
    ip = CharField(max_length=45, null=True)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)

    class Meta:
        # Migration 0023 names the last two: one object's history (a dossier's consultation
        # log) and one user's entries of a day.
        indexes = ((("company_id", "at"), False),
                   (("object_type", "object_id", "action", "company_id", "id"), False),
                   (("actor_id", "at"), False))

    # Append-only: the ORM refuses changes (database triggers refuse them too).
    def save(self, force_insert=False, only=None):
        if not force_insert:
            raise PermissionError("audit events are append-only")
        return super().save(force_insert=True, only=only)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")

    @classmethod
    def update(cls, *args, **kwargs):
        raise PermissionError("audit events are append-only")

    @classmethod
    def delete(cls):
        raise PermissionError("audit events are append-only")
