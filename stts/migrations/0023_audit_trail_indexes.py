"""The audit trail's reads stay flat as it grows (every view of a dossier, every lookup and
every action adds a row: millions of rows at a million dossiers).

* ``audit_event_object_trail`` (object type, object id, action, company, id): a dossier's
  consultation log walks the views of that dossier and the lookups of its person by the
  reader's company, newest first, and stops after its page (it used to read and sort the
  company's whole trail). It also serves every read of one object's history, and replaces
  (object type, object id).
* ``audit_event_actor_at`` (actor, at): a user's lookups of the day (the daily alert) read
  that day's entries, not the user's whole history. It replaces (actor).
"""
from peewee import SqliteDatabase

INDEXES = {
    "audit_event_object_trail": "object_type, object_id, action, company_id, id",
    "audit_event_actor_at": "actor_id, at",
}
OLD = {
    "auditevent_object_type_object_id": "object_type, object_id",
    "auditevent_actor_id": "actor_id",
}


def _swap(db, drop: dict, create: dict) -> None:
    for name in drop:
        db.execute_sql(f"DROP INDEX IF EXISTS {name}")
    for name, columns in create.items():
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON audit_event ({columns})")
    # New indexes without statistics beside analysed ones mislead SQLite's planner (see 0008).
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql("ANALYZE audit_event")


def up(migrator, db):
    _swap(db, OLD, INDEXES)


def down(migrator, db):
    _swap(db, INDEXES, OLD)
