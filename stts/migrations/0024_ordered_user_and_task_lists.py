"""The console's user list sorted by username or last login, and the task inbox with done
tasks included ("All"), walk an index in the list's order and stop after the page, instead
of reading the company's users or its whole task history (which grows with every task ever
done) to sort them.

* ``user_company_username`` (company, username, id) and ``user_company_last_login``
  (company, last login, id): the two sorts besides the name's, which has its own index.
* ``task_company_due`` (company, due date, id) and ``task_company_type_due`` (company, type,
  due date, id): the inbox's order when no state narrows it, with or without a task type.
"""
from peewee import SqliteDatabase

INDEXES = {
    "user": {
        "user_company_username": "company_id, username, id",
        "user_company_last_login": "company_id, last_login_at, id",
    },
    "task": {
        "task_company_due": "company_id, due_date, id",
        "task_company_type_due": "company_id, type, due_date, id",
    },
}


def _analysed(db) -> bool:
    return isinstance(db, SqliteDatabase) and bool(db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone())


def up(migrator, db):
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            db.execute_sql(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" ({columns})')
        # New indexes without statistics beside analysed ones mislead SQLite's planner
        # (see 0008).
        if _analysed(db):
            db.execute_sql(f'ANALYZE "{table}"')


def down(migrator, db):
    for indexes in INDEXES.values():
        for name in indexes:
            db.execute_sql(f"DROP INDEX IF EXISTS {name}")
