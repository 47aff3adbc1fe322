"""Structured messages (XML batches): the batches and one result row per applied message."""
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from stts.db import BaseModel, utcnow
from stts.models.accounts import User
from stts.models.console import TechnicalAccount
from stts.models.org import Company

BATCH_STATES = ("RECEIVED", "VALIDATING", "PROCESSING", "DONE", "REJECTED")
FINISHED_STATES = ("DONE", "REJECTED")
RESULT_CODES = ("OK", "REFUSED", "INVALID", "NOT_FOUND", "CONFLICT", "FORBIDDEN", "ERROR")


class XmlBatch(BaseModel):
    """One uploaded file. Progress lives here (not in worker memory): any worker can resume."""

    company = ForeignKeyField(Company, backref="xml_batches", on_delete="RESTRICT")
    sender = ForeignKeyField(User, null=True, on_delete="SET NULL")
    technical_account = ForeignKeyField(TechnicalAccount, null=True, on_delete="SET NULL")
    sender_name = CharField(max_length=120)
    language = CharField(max_length=2, default="fr")
    remote_addr = CharField(max_length=45, null=True)
    batch_ref = CharField(max_length=64, null=True)  # BatchId of the file's Header
    file_name = CharField(max_length=64)  # random name under instance/xml (never the upload's)
    file_size = BigIntegerField(default=0)
    response_name = CharField(max_length=64, null=True)
    state = CharField(max_length=12, default="RECEIVED")
    total = IntegerField(default=0)
    processed = IntegerField(default=0)
    accepted = IntegerField(default=0)
    rejected = IntegerField(default=0)
    duplicates = IntegerField(default=0)
    error = TextField(null=True)
    error_line = IntegerField(null=True)
    error_column = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)
    # A worker holds the batch while it works on it; a dead worker's lease runs out.
    lease_token = CharField(max_length=32, null=True)
    lease_until = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("company", "created_at"), False),
            (("state", "updated_at"), False),
        )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


class XmlMessageResult(BaseModel):
    """The result of one message, written in the same transaction as its effect: the
    unique (company, message id) makes every message apply at most once, for ever."""

    company = ForeignKeyField(Company, on_delete="RESTRICT")
    batch = ForeignKeyField(XmlBatch, backref="results", on_delete="CASCADE")
    seq = IntegerField()  # position of the message in its batch (1-based)
    line = IntegerField(null=True)  # where the message starts in the batch file
    message_id = CharField(max_length=64)
    kind = CharField(max_length=16)
    code = CharField(max_length=12)
    text = TextField()
    dossier_id = IntegerField(null=True)
    dossier_state = CharField(max_length=12, null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("company", "message_id"), True),
            (("batch", "seq"), False),
        )
