"""The indexes of the two filters that may match few of a company's dossiers (a category, an
activation period) carry every column the search tests and sorts by.

A search whose category or activation period has few matches reads that filter's index
instead of walking a covering index in the list's order (``narrow_index`` in
``stts.services.dossiers.search``): it tests the other filters and sorts its matches inside
the index, without visiting the table. They replace (company, category) and (company,
activation_date).
"""
from peewee import SqliteDatabase

COLUMNS = "state, created_at, id"
INDEXES = {
    "dossier_narrow_category": f"company_id, category, activation_date, {COLUMNS}",
    "dossier_narrow_activation": f"company_id, activation_date, category, {COLUMNS}",
}
OLD = {
    "dossier_company_id_category": "company_id, category",
    "dossier_company_id_activation_date": "company_id, activation_date",
}


def _swap(db, drop: dict, create: dict) -> None:
    for name in drop:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for name, columns in create.items():
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON dossier ({columns})")
    # New indexes without statistics beside analysed ones mislead SQLite's planner (see 0008).
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE dossier")


def up(migrator, db):
    _swap(db, OLD, INDEXES)


def down(migrator, db):
    _swap(db, INDEXES, OLD)
