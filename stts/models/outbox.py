"""Outgoing notifications, written in the same transaction as the change that causes them."""
from peewee import CharField, DateTimeField, IntegerField, TextField

from stts.db import BaseModel, utcnow


class OutboundMail(BaseModel):
    created_at = DateTimeField(default=utcnow)
    recipient = CharField(max_length=254)
    subject = CharField(max_length=300)
    body = TextField()
    sent_at = DateTimeField(null=True, index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
