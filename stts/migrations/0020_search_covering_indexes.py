"""Every combination of the dossier search's filters reads one index, in its order, without
visiting the table.

The search walks one of three indexes, chosen by the filters (``stts.services.dossiers.search``):
the name index for a name search, the state index when a state is given, the date index
otherwise. Each one carries, after its order, every column another filter may test (state,
category, activation date, and the folded first name for the name index), so a combination
that no index orders is filtered inside the index: the count stops at its limit and a page
stops after its rows, never sorting the matches nor reading a row it does not show.

* ``dossier.first_name_key``: the person's folded first name, copied onto the dossier like
  ``last_name_key`` (migration 0007) and kept by the same triggers, so a two-word name search
  ("de s") no longer joins the person of every last-name match.
* The three indexes replace (company, state, created_at, id), (company, created_at, id) and
  (company, last_name_key, created_at DESC, id DESC).
"""
from peewee import CharField, SqliteDatabase, Table

FILTERS = "state, category, activation_date"
INDEXES = {
    "dossier_search_state": "company_id, state, created_at, id, category, activation_date",
    "dossier_search_date": f"company_id, created_at, id, {FILTERS}",
    "dossier_search_name": ("company_id, last_name_key{opclass}, created_at DESC, id DESC, "
                            f"first_name_key, {FILTERS}"),
}
OLD = {
    "dossier_company_id_state_created_at_id": "company_id, state, created_at, id",
    "dossier_company_id_created_at_id": "company_id, created_at, id",
    "dossier_company_id_last_name_key_created_at_id": ("company_id, last_name_key{opclass}, "
                                                       "created_at DESC, id DESC"),
}


def _opclass(db) -> str:
    return "" if isinstance(db, SqliteDatabase) else " varchar_pattern_ops"


def _analyse(db) -> None:
    # New indexes without statistics beside analysed ones mislead SQLite's planner (see 0008).
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE dossier")


# The name-key triggers of migration 0007, copying both keys (NEW) or the last name alone (OLD).
SQLITE_TRIGGERS = {
    "new": (
        "CREATE TRIGGER dossier_name_key_on_insert AFTER INSERT ON dossier "
        "WHEN NEW.last_name_key IS NULL OR NEW.first_name_key IS NULL BEGIN "
        "UPDATE dossier SET (last_name_key, first_name_key) = (SELECT last_name_key, "
        "first_name_key FROM beneficiary WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END",
        "CREATE TRIGGER dossier_name_key_on_rename AFTER UPDATE OF last_name_key, "
        "first_name_key ON beneficiary WHEN NEW.last_name_key IS NOT OLD.last_name_key "
        "OR NEW.first_name_key IS NOT OLD.first_name_key BEGIN UPDATE dossier SET "
        "last_name_key = NEW.last_name_key, first_name_key = NEW.first_name_key "
        "WHERE beneficiary_id = NEW.id; END",
        "CREATE TRIGGER dossier_name_key_on_move AFTER UPDATE OF beneficiary_id ON dossier "
        "BEGIN UPDATE dossier SET (last_name_key, first_name_key) = (SELECT last_name_key, "
        "first_name_key FROM beneficiary WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END",
    ),
    "old": (
        "CREATE TRIGGER dossier_name_key_on_insert AFTER INSERT ON dossier "
        "WHEN NEW.last_name_key IS NULL BEGIN "
        "UPDATE dossier SET last_name_key = (SELECT last_name_key FROM beneficiary "
        "WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END",
        "CREATE TRIGGER dossier_name_key_on_rename AFTER UPDATE OF last_name_key "
        "ON beneficiary WHEN NEW.last_name_key IS NOT OLD.last_name_key BEGIN "
        "UPDATE dossier SET last_name_key = NEW.last_name_key "
        "WHERE beneficiary_id = NEW.id; END",
        "CREATE TRIGGER dossier_name_key_on_move AFTER UPDATE OF beneficiary_id ON dossier "
        "BEGIN UPDATE dossier SET last_name_key = (SELECT last_name_key FROM beneficiary "
        "WHERE id = NEW.beneficiary_id) WHERE id = NEW.id; END",
    ),
}
POSTGRESQL_TRIGGERS = {
    "new": (
        "CREATE OR REPLACE FUNCTION dossier_name_key() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'INSERT' AND NEW.last_name_key IS NOT NULL "
        "AND NEW.first_name_key IS NOT NULL THEN RETURN NEW; END IF; "
        "SELECT last_name_key, first_name_key INTO NEW.last_name_key, NEW.first_name_key "
        "FROM beneficiary WHERE id = NEW.beneficiary_id; RETURN NEW; END; $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION beneficiary_name_key() RETURNS trigger AS $$ BEGIN "
        "UPDATE dossier SET last_name_key = NEW.last_name_key, "
        "first_name_key = NEW.first_name_key WHERE beneficiary_id = NEW.id; RETURN NULL; "
        "END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS beneficiary_name_key ON beneficiary",
        "CREATE TRIGGER beneficiary_name_key AFTER UPDATE OF last_name_key, first_name_key "
        "ON beneficiary FOR EACH ROW WHEN (NEW.last_name_key IS DISTINCT FROM "
        "OLD.last_name_key OR NEW.first_name_key IS DISTINCT FROM OLD.first_name_key) "
        "EXECUTE FUNCTION beneficiary_name_key()",
    ),
    "old": (
        "CREATE OR REPLACE FUNCTION dossier_name_key() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'INSERT' AND NEW.last_name_key IS NOT NULL THEN RETURN NEW; END IF; "
        "NEW.last_name_key := (SELECT last_name_key FROM beneficiary "
        "WHERE id = NEW.beneficiary_id); RETURN NEW; END; $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION beneficiary_name_key() RETURNS trigger AS $$ BEGIN "
        "UPDATE dossier SET last_name_key = NEW.last_name_key "
        "WHERE beneficiary_id = NEW.id; RETURN NULL; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS beneficiary_name_key ON beneficiary",
        "CREATE TRIGGER beneficiary_name_key AFTER UPDATE OF last_name_key ON beneficiary "
        "FOR EACH ROW WHEN (NEW.last_name_key IS DISTINCT FROM OLD.last_name_key) "
        "EXECUTE FUNCTION beneficiary_name_key()",
    ),
}


def _triggers(db, which: str) -> None:
    if isinstance(db, SqliteDatabase):
        for name in ("dossier_name_key_on_insert", "dossier_name_key_on_rename",
                     "dossier_name_key_on_move"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
        statements = SQLITE_TRIGGERS[which]
    else:
        statements = POSTGRESQL_TRIGGERS[which]
    for statement in statements:
        db.execute_sql(statement)


def up(migrator, db):
    migrator.migrate(migrator.add_column("dossier", "first_name_key",
                                         CharField(max_length=100, null=True)))
    dossier = Table("dossier", ("beneficiary_id", "first_name_key")).bind(db)
    person = Table("beneficiary", ("id", "first_name_key"))
    dossier.update(first_name_key=person.select(person.first_name_key).where(
        person.id == dossier.beneficiary_id)).execute()
    _triggers(db, "new")
    for name in OLD:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for name, columns in INDEXES.items():
        db.execute_sql(f"CREATE INDEX {name} ON dossier ({columns.format(opclass=_opclass(db))})")
    _analyse(db)


def down(migrator, db):
    for name in INDEXES:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for name, columns in OLD.items():
        db.execute_sql(f"CREATE INDEX {name} ON dossier ({columns.format(opclass=_opclass(db))})")
    _triggers(db, "old")
    migrator.migrate(migrator.drop_column("dossier", "first_name_key"))
    _analyse(db)
