"""Indexes that match every search, at 1,000,000 dossiers.

* ``dossier.last_name_key``: the beneficiary's folded last name, copied onto the dossier so a
  name prefix search is one range scan of the (company, last_name_key) index instead of a join
  over every person of that name at every operator. Database triggers keep the copy right
  whatever writes the rows (services, bulk loads, the Register feed).
* Ordered lists end with ``id`` (the tie-breaker of every ORDER BY): PostgreSQL can then read
  a page straight from the index; on SQLite the rowid was already the last column.
"""
from peewee import SqliteDatabase

OLD = {
    "dossier": [("dossier_company_id_state_created_at", ("company_id", "state", "created_at")),
                ("dossier_company_id_created_at", ("company_id", "created_at")),
                ("dossier_state_created_at", ("state", "created_at"))],
    "task": [("task_company_id_state_due_date", ("company_id", "state", "due_date"))],
}
NEW = {
    "dossier": [("company_id", "state", "created_at", "id"), ("company_id", "created_at", "id"),
                ("state", "created_at", "id")],
    "task": [("company_id", "state", "due_date", "id")],
}


def up(migrator, db):
    from peewee import CharField

    migrator.migrate(migrator.add_column("dossier", "last_name_key",
                                         CharField(max_length=100, null=True)))
    db.execute_sql("UPDATE dossier SET last_name_key = (SELECT b.last_name_key FROM beneficiary b "
                   "WHERE b.id = dossier.beneficiary_id)")
    sqlite = isinstance(db, SqliteDatabase)
    opclass = "" if sqlite else " varchar_pattern_ops"  # LIKE 'x%' on any collation
    db.execute_sql("CREATE INDEX dossier_company_id_last_name_key ON dossier "
                   f"(company_id, last_name_key{opclass})")
    for table, indexes in OLD.items():
        for name, _columns in indexes:
            db.execute_sql(f"DROP INDEX IF EXISTS {name}")
        for columns in NEW[table]:
            name = f"{table}_{'_'.join(columns)}"
            db.execute_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
    if sqlite:
        db.execute_sql(
            "CREATE TRIGGER dossier_name_key_on_insert AFTER INSERT ON dossier "
            "WHEN NEW.last_name_key IS NULL BEGIN "
            "UPDATE dossier SET last_name_key = (SELECT last_name_key FROM beneficiary "
            "WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END")
        db.execute_sql(
            "CREATE TRIGGER dossier_name_key_on_rename AFTER UPDATE OF last_name_key "
            "ON beneficiary WHEN NEW.last_name_key IS NOT OLD.last_name_key BEGIN "
            "UPDATE dossier SET last_name_key = NEW.last_name_key "
            "WHERE beneficiary_id = NEW.id; END")
        db.execute_sql(
            "CREATE TRIGGER dossier_name_key_on_move AFTER UPDATE OF beneficiary_id ON dossier "
            "BEGIN UPDATE dossier SET last_name_key = (SELECT last_name_key FROM beneficiary "
            "WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END")
        return
    db.execute_sql(
        "CREATE FUNCTION dossier_name_key() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'INSERT' AND NEW.last_name_key IS NOT NULL THEN RETURN NEW; END IF; "
        "NEW.last_name_key := (SELECT last_name_key FROM beneficiary "
        "WHERE id = NEW.beneficiary_id); RETURN NEW; END; $$ LANGUAGE plpgsql")
    db.execute_sql(
        "CREATE TRIGGER dossier_name_key BEFORE INSERT OR UPDATE OF beneficiary_id ON dossier "
        "FOR EACH ROW EXECUTE FUNCTION dossier_name_key()")
    db.execute_sql(
        "CREATE FUNCTION beneficiary_name_key() RETURNS trigger AS $$ BEGIN "
        "UPDATE dossier SET last_name_key = NEW.last_name_key "
        "WHERE beneficiary_id = NEW.id; RETURN NULL; END; $$ LANGUAGE plpgsql")
    db.execute_sql(
        "CREATE TRIGGER beneficiary_name_key AFTER UPDATE OF last_name_key ON beneficiary "
        "FOR EACH ROW WHEN (NEW.last_name_key IS DISTINCT FROM OLD.last_name_key) "
        "EXECUTE FUNCTION beneficiary_name_key()")


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        for name in ("dossier_name_key_on_insert", "dossier_name_key_on_rename",
                     "dossier_name_key_on_move"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
    else:
        db.execute_sql("DROP TRIGGER IF EXISTS dossier_name_key ON dossier")
        db.execute_sql("DROP TRIGGER IF EXISTS beneficiary_name_key ON beneficiary")
        db.execute_sql("DROP FUNCTION IF EXISTS dossier_name_key()")
        db.execute_sql("DROP FUNCTION IF EXISTS beneficiary_name_key()")
    for table, indexes in NEW.items():
        for columns in indexes:
            db.execute_sql(f"DROP INDEX IF EXISTS {table}_{'_'.join(columns)}")
        for name, columns in OLD[table]:
            db.execute_sql(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
    db.execute_sql("DROP INDEX IF EXISTS dossier_company_id_last_name_key")
    migrator.migrate(migrator.drop_column("dossier", "last_name_key"))
