"""The name prefix search reads only its index: (company, last_name_key, created_at, id) gives
the page's ids in order without visiting the table (a common name has hundreds of dossiers
per operator at 1,000,000 dossiers)."""
from peewee import SqliteDatabase


def up(migrator, db):
    opclass = "" if isinstance(db, SqliteDatabase) else " varchar_pattern_ops"
    db.execute_sql("DROP INDEX IF EXISTS dossier_company_id_last_name_key")
    db.execute_sql("CREATE INDEX dossier_company_id_last_name_key_created_at_id ON dossier "
                   f"(company_id, last_name_key{opclass}, created_at, id)")
    # A new index without statistics beside analysed ones misleads SQLite's planner (it took
    # it for every company filter): refresh the table's statistics when the database has
    # some. PostgreSQL's autovacuum analyses by itself.
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE dossier")


def down(migrator, db):
    opclass = "" if isinstance(db, SqliteDatabase) else " varchar_pattern_ops"
    db.execute_sql("DROP INDEX IF EXISTS dossier_company_id_last_name_key_created_at_id")
    db.execute_sql("CREATE INDEX dossier_company_id_last_name_key ON dossier "
                   f"(company_id, last_name_key{opclass})")
