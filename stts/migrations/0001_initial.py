"""Initial schema: companies, users, sessions, applications, profiles, roles, audit, outbox.

Timestamp defaults are set by the application (UTC), not by the database.
"""
from peewee import *


def up(migrator, db):
    class Application(Model):
        code = CharField(unique=True, max_length=20)
        class Meta:
            database = db
            table_name = 'application'
    db.create_tables([Application])

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        actor_id = IntegerField(index=True, null=True)
        actor_username = CharField(null=True, max_length=64)
        company_id = IntegerField(null=True)
        action = CharField(max_length=60)
        object_type = CharField(null=True, max_length=40)
        object_id = CharField(null=True, max_length=64)
        result = CharField(max_length=20, default='ok')
        details = TextField(default='{}')
        ip = CharField(null=True, max_length=45)
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'audit_event'
            indexes = ((('company_id', 'at'), False), (('object_type', 'object_id'), False))
    db.create_tables([AuditEvent])

    class Company(Model):
        enterprise_number = CharField(unique=True, max_length=10)
        onss_number = CharField(unique=True, null=True, max_length=9)
        name = CharField(max_length=200)
        category = CharField(max_length=20, default='onss_employer')
        email = CharField(null=True, max_length=254)
        is_operator = BooleanField(default=True)
        xml_enabled = BooleanField(default=False)
        xml_result_email = CharField(null=True, max_length=254)
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'company'
    db.create_tables([Company])

    class User(Model):
        company = ForeignKeyField(Company, on_delete='RESTRICT')
        username = CharField(unique=True, max_length=64)
        last_name = CharField(max_length=100)
        first_name = CharField(max_length=100)
        last_name_key = CharField(index=True, max_length=100)
        first_name_key = CharField(index=True, max_length=100)
        national_number = CharField(max_length=11)
        email = CharField(null=True, max_length=254)
        language = CharField(max_length=2, default='fr')
        password_hash = CharField()
        password_provisional = BooleanField(default=False)
        password_expires_at = DateTimeField(null=True)
        provisional_used_at = DateTimeField(null=True)
        username_provisional = BooleanField(default=False)
        is_local_manager = BooleanField(default=False)
        blocked = BooleanField(default=False)
        failed_logins = IntegerField(default=0)
        temporary_lockouts = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        locked_permanently = BooleanField(default=False)
        last_login_at = DateTimeField(null=True)
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'user'
            indexes = ((('company', 'national_number'), True), (('company', 'last_name_key', 'first_name_key'), False))
    db.create_tables([User])

    class InstitutionRole(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=20)
        class Meta:
            database = db
            table_name = 'institution_role'
            indexes = ((('user', 'role'), True),)
    db.create_tables([InstitutionRole])

    class LoginSession(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        token_hash = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        must_change_password = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'login_session'
    db.create_tables([LoginSession])

    class OutboundMail(Model):
        created_at = DateTimeField()
        recipient = CharField(max_length=254)
        subject = CharField(max_length=300)
        body = TextField()
        sent_at = DateTimeField(index=True, null=True)
        attempts = IntegerField(default=0)
        last_error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'outbound_mail'
    db.create_tables([OutboundMail])

    class UserApplication(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        application = ForeignKeyField(Application, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'user_application'
            indexes = ((('user', 'application'), True), (('application', 'user'), False))
    db.create_tables([UserApplication])

    class UserProfile(Model):
        user = ForeignKeyField(User, primary_key=True, on_delete='CASCADE')
        profile = CharField(index=True, max_length=5)
        class Meta:
            database = db
            table_name = 'user_profile'
    db.create_tables([UserProfile])

    # One local manager per company, enforced by the schema.
    db.execute_sql(
        'CREATE UNIQUE INDEX user_one_local_manager_per_company ON "user" (company_id) '
        "WHERE is_local_manager"
    )
    Application.insert_many([("STTS_WEB",), ("STTS_XML",)], fields=[Application.code]).execute()
    install_audit_guards(db)


def install_audit_guards(db):
    """The audit trail is append-only: the database itself refuses UPDATE and DELETE."""
    from peewee import SqliteDatabase

    if isinstance(db, SqliteDatabase):
        for verb in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END"
            )
        return
    db.execute_sql(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql"
    )
    db.execute_sql(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def down(migrator, db):
    raise RuntimeError("the initial migration cannot be reverted")


