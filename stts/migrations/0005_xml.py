"""Structured messages: XML batches and their per-message results (idempotency).

Timestamp defaults are set by the application (UTC), not by the database. Depends on the
tables of 0001 (company, user) and 0003 (technical_account).
"""
from peewee import *


def up(migrator, db):
    class Company(Model):
        class Meta:
            database = db
            table_name = 'company'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class TechnicalAccount(Model):
        class Meta:
            database = db
            table_name = 'technical_account'

    class XmlBatch(Model):
        company = ForeignKeyField(Company, on_delete='RESTRICT')
        sender = ForeignKeyField(User, null=True, on_delete='SET NULL')
        technical_account = ForeignKeyField(TechnicalAccount, null=True, on_delete='SET NULL')
        sender_name = CharField(max_length=120)
        language = CharField(max_length=2, default='fr')
        remote_addr = CharField(max_length=45, null=True)
        batch_ref = CharField(max_length=64, null=True)
        file_name = CharField(max_length=64)
        file_size = BigIntegerField(default=0)
        response_name = CharField(max_length=64, null=True)
        state = CharField(max_length=12, default='RECEIVED')
        total = IntegerField(default=0)
        processed = IntegerField(default=0)
        accepted = IntegerField(default=0)
        rejected = IntegerField(default=0)
        duplicates = IntegerField(default=0)
        error = TextField(null=True)
        error_line = IntegerField(null=True)
        error_column = IntegerField(null=True)
        created_at = DateTimeField()
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        updated_at = DateTimeField()
        lease_token = CharField(max_length=32, null=True)
        lease_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'xml_batch'
            indexes = ((('company', 'created_at'), False), (('state', 'updated_at'), False))
    db.create_tables([XmlBatch])

    class XmlMessageResult(Model):
        company = ForeignKeyField(Company, on_delete='RESTRICT')
        batch = ForeignKeyField(XmlBatch, on_delete='CASCADE')
        seq = IntegerField()
        message_id = CharField(max_length=64)
        kind = CharField(max_length=16)
        code = CharField(max_length=12)
        text = TextField()
        dossier_id = IntegerField(null=True)
        dossier_state = CharField(max_length=12, null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'xml_message_result'
            indexes = ((('company', 'message_id'), True), (('batch', 'seq'), False))
    db.create_tables([XmlMessageResult])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS xml_message_result')
    db.execute_sql('DROP TABLE IF EXISTS xml_batch')
