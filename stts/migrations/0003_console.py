"""Local-manager console: technical accounts (XML sending) and retired usernames.

Timestamp defaults are set by the application (UTC), not by the database.
"""
from peewee import *


def up(migrator, db):
    class Company(Model):
        class Meta:
            database = db
            table_name = 'company'

    class TechnicalAccount(Model):
        company = ForeignKeyField(Company, on_delete='CASCADE')
        name = CharField(max_length=100)
        token_hash = CharField(unique=True, max_length=64)
        token_hint = CharField(max_length=8)
        created_at = DateTimeField()
        created_by_id = IntegerField(null=True)
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'technical_account'
            indexes = ((('company', 'revoked_at'), False),)
    db.create_tables([TechnicalAccount])

    class RetiredUsername(Model):
        username = CharField(unique=True, max_length=64)
        company_id = IntegerField(null=True)
        retired_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'retired_username'
    db.create_tables([RetiredUsername])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS retired_username')
    db.execute_sql('DROP TABLE IF EXISTS technical_account')
