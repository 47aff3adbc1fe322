"""A name search lists its dossiers by name, newest first within a name: the name index is
rebuilt as (company, last_name_key, created_at DESC, id DESC), so that order is the index's
own and a page of a common name reads 25 index entries instead of sorting all of them."""
from peewee import SqliteDatabase

NAME = "dossier_company_id_last_name_key_created_at_id"


def _rebuild(db, order: str) -> None:
    opclass = "" if isinstance(db, SqliteDatabase) else " varchar_pattern_ops"
    db.execute_sql(f"DROP INDEX IF EXISTS {NAME}")
    db.execute_sql(f"CREATE INDEX {NAME} ON dossier "
                   f"(company_id, last_name_key{opclass}, created_at{order}, id{order})")
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE dossier")  # see 0008: statistics for the new index


def up(migrator, db):
    _rebuild(db, " DESC")


def down(migrator, db):
    _rebuild(db, "")
