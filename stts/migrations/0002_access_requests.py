"""Access requests (designating a local manager) and the wizard's server-side drafts.

Timestamp defaults are set by the application (UTC), not by the database.
"""
from peewee import *


def up(migrator, db):
    class AccessRequestDraft(Model):
        key = CharField(max_length=64, primary_key=True)
        data = TextField(default='{}')
        step = CharField(max_length=20, default='category')
        gazette_file = CharField(null=True, max_length=64)
        created_at = DateTimeField()
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'access_request_draft'
    db.create_tables([AccessRequestDraft])

    class AccessRequest(Model):
        ticket = CharField(unique=True, max_length=24)
        status = CharField(max_length=20, default='awaiting_original')
        category = CharField(max_length=20)
        enterprise_number = CharField(index=True, max_length=10)
        onss_number = CharField(null=True, max_length=9)
        company_name = CharField(max_length=200)
        company_id = IntegerField(null=True)
        manager_last_name = CharField(max_length=100)
        manager_first_name = CharField(max_length=100)
        manager_national_number = CharField(max_length=11)
        manager_quality = CharField(max_length=20)
        manager_email = CharField(max_length=254)
        manager_phone = CharField(max_length=20)
        manager_language = CharField(max_length=2, default='fr')
        signer_last_name = CharField(max_length=100)
        signer_first_name = CharField(max_length=100)
        signer_national_number = CharField(max_length=11)
        signer_quality = CharField(max_length=20)
        signer_email = CharField(max_length=254)
        signer_phone = CharField(max_length=20)
        signer_active = BooleanField(default=True)
        gazette_file = CharField(null=True, max_length=64)
        gazette_received = BooleanField(default=False)
        replace_manager = BooleanField(default=False)
        submitted_at = DateTimeField()
        original_received_at = DateTimeField(null=True)
        due_at = DateTimeField(null=True)
        decided_at = DateTimeField(null=True)
        decided_by_id = IntegerField(null=True)
        refusal_reason = TextField(null=True)
        manager_user_id = IntegerField(null=True)
        previous_manager_id = IntegerField(null=True)
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'access_request'
            indexes = ((('status', 'submitted_at'), False), (('status', 'due_at'), False))
    db.create_tables([AccessRequest])

    # One open request per company, enforced by the schema.
    db.execute_sql(
        'CREATE UNIQUE INDEX access_request_one_open_per_company ON access_request '
        "(enterprise_number) WHERE status IN ('awaiting_original', 'original_received')"
    )


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS access_request')
    db.execute_sql('DROP TABLE IF EXISTS access_request_draft')
