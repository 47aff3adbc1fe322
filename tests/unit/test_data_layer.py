"""Migrations, schema constraints and the append-only, hash-chained audit trail."""
import pytest
from peewee import IntegrityError
from playhouse.schema_diff import diff_models

from stts.db import database, is_sqlite, migrate
from stts.models import ALL_MODELS, AuditEvent, User, UserProfile
from stts.services.audit import pseudonymize, record_event, verify_chain


def test_migrated_schema_matches_the_models(app):
    diff = diff_models(database.obj, ALL_MODELS)
    assert not diff, str(diff)


def test_migrate_twice_is_a_no_op(app):
    assert migrate() == []


def test_sqlite_pragmas(app):
    if not is_sqlite():
        from peewee import PostgresqlDatabase

        assert isinstance(database.obj, PostgresqlDatabase)
        return
    pragma = lambda name: database.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") >= 5000
    with database.atomic():  # a write transaction waits in its own steps, then restores it
        assert pragma("busy_timeout") >= 5000
    assert pragma("busy_timeout") >= 5000


def test_two_profiles_for_one_user_are_impossible(app):
    user = User.get(User.username == "stts1.alpha")
    with pytest.raises(IntegrityError), database.atomic():
        UserProfile.insert(user=user, profile="STTS3").execute()


def test_one_local_manager_per_company(app):
    user = User.get(User.username == "stts1.alpha")
    with pytest.raises(IntegrityError), database.atomic():
        User.update(is_local_manager=True).where(User.id == user.id).execute()


def test_one_account_per_person_per_company(app):
    original = User.get(User.username == "stts1.alpha")
    with pytest.raises(IntegrityError), database.atomic():
        User.create(company=original.company, username="copy.of.alpha", first_name="A",
                    last_name="B", first_name_key="a", last_name_key="b",
                    national_number=original.national_number, password_hash="x")


def test_audit_orm_refuses_updates_and_deletes(app):
    event = record_event("test.event", actor=None, object_type="thing", object_id=1)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete_instance()
    with pytest.raises(PermissionError):
        AuditEvent.update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.delete()


def test_audit_database_triggers_refuse_updates_and_deletes(app):
    record_event("test.event", actor=None, object_type="thing", object_id=1)
    for sql in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"), database.atomic():
            database.execute_sql(sql)


def test_audit_chain_detects_an_edited_row(app):
    for number in range(5):
        record_event("test.event", actor=None, object_type="thing", object_id=number)
    assert verify_chain() == []
    target = AuditEvent.select().order_by(AuditEvent.id.desc()).offset(2).first()
    # Edit a row behind the application's back (triggers dropped, as an intruder would).
    if is_sqlite():
        database.execute_sql("DROP TRIGGER audit_event_no_update")
        database.execute_sql("UPDATE audit_event SET result = 'forged' WHERE id = ?", (target.id,))
    else:
        with database.atomic():
            database.execute_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            database.execute_sql("UPDATE audit_event SET result = 'forged' WHERE id = %s",
                                 (target.id,))
            database.execute_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    assert verify_chain() == [target.id]


def test_national_numbers_are_pseudonymized(app):
    token = pseudonymize("85073003328")
    assert "85073003328" not in token and token.startswith("nrn:")
    assert token == pseudonymize("85073003328") != pseudonymize("90051200211")


def test_demo_seed_is_idempotent(app):
    from stts.demo import seed_demo

    before = User.select().count()
    seed_demo()
    assert User.select().count() == before


def test_prepared_select_binds_values_and_keeps_its_shape(app):
    """fastsql.select generates a statement once per shape; each call only binds values,
    and a key that does not name everything shaping the SQL is caught under TESTING."""
    from stts import fastsql

    def by_username():
        return User.select(User.id, User.username).where(
            User.username == fastsql.Param("name")).tuples()

    with app.test_request_context():
        alpha = list(fastsql.select("test-user-by-name", by_username, name="stts1.alpha"))
        beta = list(fastsql.select("test-user-by-name", by_username, name="stts1.beta"))
        assert [row[1] for row in alpha] == ["stts1.alpha"]
        assert [row[1] for row in beta] == ["stts1.beta"]
        assert list(fastsql.select("test-user-by-name", by_username, name="nobody")) == []
        with pytest.raises(AssertionError, match="changed shape"):
            fastsql.select("test-user-by-name", lambda: User.select(User.id).where(
                User.id == fastsql.Param("name")), name=1)
        with pytest.raises(KeyError):
            fastsql.select("test-user-by-name", by_username)  # a value left unbound


def test_prepared_select_converts_values_like_the_field(app):
    from datetime import datetime

    from stts import fastsql

    def since():
        return User.select(User.id).where(
            User.created_at >= fastsql.Param("since", User.created_at)).tuples()

    with app.test_request_context():
        everyone = User.select().count()
        assert len(list(fastsql.select("test-users-since", since,
                                       since=datetime(2000, 1, 1)))) == everyone
        assert list(fastsql.select("test-users-since", since, since=datetime(2999, 1, 1))) == []


def test_a_waiting_write_takes_the_lock_in_a_short_gap(app):
    """SQLite: a write transaction that waits for the write lock tries again every few
    milliseconds (stts.db._PromptWriter). SQLite's own busy handler sleeps up to 100 ms
    between tries, so a request waiting behind the job worker missed the worker's pause
    between two groups and waited for the next group too. Here another connection holds
    the lock, lets it go for the worker's pause (XML_GROUP_PAUSE), and takes it again for a
    long while: the waiting write must have gone in during the gap."""
    import sqlite3
    import threading
    import time

    from stts.db import PromptSqliteDatabase

    if not is_sqlite():  # PostgreSQL's writers wait in a queue, not by polling
        from peewee import PostgresqlDatabase

        assert isinstance(database.obj, PostgresqlDatabase)
        assert not isinstance(database.obj, PromptSqliteDatabase)
        return
    holder = sqlite3.connect(database.obj.database, isolation_level=None, timeout=10)
    events = []

    def write():
        with app.app_context():
            database.connect(reuse_if_open=True)
            try:
                with database.atomic():
                    events.append("waiting write")
            finally:
                database.close()

    holder.execute("BEGIN IMMEDIATE")
    waiter = threading.Thread(target=write)
    waiter.start()
    time.sleep(0.4)  # the waiter has been trying for a while (SQLite would sleep 100 ms now)
    assert events == []
    pause = app.config["XML_GROUP_PAUSE"]
    assert pause >= 2 * PromptSqliteDatabase.STEP_LIMIT  # at least one try falls in the gap
    holder.execute("COMMIT")
    time.sleep(pause)  # the worker's pause between two groups
    holder.execute("BEGIN IMMEDIATE")
    events.append("next group")
    time.sleep(0.3)
    holder.execute("COMMIT")
    waiter.join(timeout=15)
    holder.close()
    assert events == ["waiting write", "next group"]
