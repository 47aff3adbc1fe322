"""The dossier desk: eligibility snapshot, beneficiaries, dossiers, actions, tasks, jobs and
National Register events.

Timestamp defaults are set by the application (UTC), not by the database.
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

    class EligibilityRecord(Model):
        national_number = CharField(index=True, max_length=11)
        category = CharField(max_length=20)
        valid_from = DateField()
        valid_to = DateField(null=True)
        household_id = CharField(index=True, max_length=32)
        last_name = CharField(null=True, max_length=100)
        first_name = CharField(null=True, max_length=100)
        street = CharField(null=True, max_length=200)
        postcode = CharField(null=True, max_length=10)
        city = CharField(null=True, max_length=100)
        class Meta:
            database = db
            table_name = 'eligibility_record'
    db.create_tables([EligibilityRecord])

    class Beneficiary(Model):
        national_number = CharField(unique=True, max_length=11)
        last_name = CharField(max_length=100)
        first_name = CharField(max_length=100)
        last_name_key = CharField(max_length=100)
        first_name_key = CharField(max_length=100)
        birth_date = DateField(null=True)
        street = CharField(null=True, max_length=200)
        postcode = CharField(null=True, max_length=10)
        city = CharField(null=True, max_length=100)
        household_id = CharField(index=True, null=True, max_length=32)
        deceased_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'beneficiary'
            indexes = ((('last_name_key', 'first_name_key'), False),)
    db.create_tables([Beneficiary])

    class Dossier(Model):
        beneficiary = ForeignKeyField(Beneficiary, on_delete='RESTRICT')
        company = ForeignKeyField(Company, on_delete='RESTRICT')
        household_key = CharField(max_length=40)
        category = CharField(max_length=20)
        service = CharField(null=True, max_length=10)
        phone_number = CharField(null=True, max_length=16)
        customer_number = CharField(null=True, max_length=40)
        tariff_formula = CharField(null=True, max_length=100)
        installation_costs = DecimalField(null=True, max_digits=8, decimal_places=2)
        activation_date = DateField(null=True)
        invoice_date = DateField(null=True)
        state = CharField(max_length=12)
        decision_date = DateField(null=True)
        decision_reason = CharField(null=True, max_length=300)
        documents_due = DateField(null=True)
        end_date = DateField(null=True)
        end_reason = CharField(null=True, max_length=30)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'dossier'
            indexes = (
                (('company', 'state', 'created_at'), False),
                (('company', 'created_at'), False),
                (('company', 'phone_number'), False),
                (('company', 'customer_number'), False),
                (('company', 'category'), False),
                (('company', 'activation_date'), False),
                (('state', 'created_at'), False),
            )
    db.create_tables([Dossier])

    class DossierAction(Model):
        dossier = ForeignKeyField(Dossier, on_delete='CASCADE')
        company = ForeignKeyField(Company, null=True, on_delete='RESTRICT')
        type = CharField(max_length=20)
        author = ForeignKeyField(User, null=True, on_delete='SET NULL')
        author_name = CharField(max_length=120)
        at = DateTimeField()
        state_before = CharField(null=True, max_length=12)
        state_after = CharField(max_length=12)
        before = TextField(default='{}')
        after = TextField(default='{}')
        reason = TextField(null=True)
        cancelled_by = ForeignKeyField('self', null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'dossier_action'
            indexes = ((('dossier', 'at'), False),)
    db.create_tables([DossierAction])

    class Task(Model):
        type = CharField(max_length=24)
        dossier = ForeignKeyField(Dossier, on_delete='CASCADE')
        company = ForeignKeyField(Company, on_delete='RESTRICT')
        created_at = DateTimeField()
        due_date = DateField()
        state = CharField(max_length=10, default='OPEN')
        processed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        processed_at = DateTimeField(null=True)
        note = TextField(null=True)
        details = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'task'
            indexes = (
                (('company', 'state', 'due_date'), False),
                (('company', 'state', 'type', 'due_date'), False),
            )
    db.create_tables([Task])

    class DeskJob(Model):
        kind = CharField(max_length=20)
        state = CharField(max_length=10, default='QUEUED')
        total = IntegerField(default=0)
        done = IntegerField(default=0)
        result = TextField(default='{}')
        started_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'desk_job'
    db.create_tables([DeskJob])

    class RegisterEvent(Model):
        event_id = CharField(unique=True, max_length=64)
        kind = CharField(max_length=10)
        national_number_hash = CharField(max_length=40)
        applied_at = DateTimeField()
        ignored = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'register_event'
    db.create_tables([RegisterEvent])

    # One live dossier per household (or person), across all operators: the schema itself
    # makes two concurrent requests for the same household end in exactly one dossier.
    db.execute_sql(
        'CREATE UNIQUE INDEX dossier_one_live_per_household ON dossier (household_key) '
        "WHERE state IN ('INCOMPLETE', 'SUBMITTED', 'REVIEW', 'APPROVED', 'ACTIVE')"
    )


def down(migrator, db):
    for table in ('register_event', 'desk_job', 'task', 'dossier_action', 'dossier',
                  'beneficiary', 'eligibility_record'):
        db.execute_sql(f'DROP TABLE IF EXISTS {table}')
