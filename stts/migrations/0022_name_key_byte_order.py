"""PostgreSQL: the dossier's folded last name is compared byte by byte (``COLLATE "C"``), as
SQLite compares it, so that one index serves both the name search's ``LIKE 'prefix%'`` and
its order.

The name index of migration 0020 used ``varchar_pattern_ops`` so that ``LIKE`` could read
it whatever the database's collation; but that operator class does not give the order of
``ORDER BY last_name_key``, so PostgreSQL sorted every match of a name prefix for each page
(a page of "de" read 1,700 entries at a million dossiers and sorted them). The folded key
(``stts.text.search_key``) is made to be compared byte by byte: with the column in the "C"
collation, the index's default operator class answers both, and a page reads its 26
entries. SQLite is unchanged: it already compares text byte by byte.
"""
from peewee import SqliteDatabase

INDEX = ("CREATE INDEX dossier_search_name ON dossier (company_id, last_name_key{opclass}, "
         "created_at DESC, id DESC, first_name_key, state, category, activation_date)")


def _rebuild(db, collation: str, opclass: str) -> None:
    db.execute_sql("DROP INDEX IF EXISTS dossier_search_name")
    db.execute_sql(f"ALTER TABLE dossier ALTER COLUMN last_name_key TYPE VARCHAR(100) "
                   f"COLLATE {collation}")
    db.execute_sql(INDEX.format(opclass=opclass))
    db.execute_sql("ANALYZE dossier")


def up(migrator, db):
    if not isinstance(db, SqliteDatabase):
        _rebuild(db, '"C"', "")


def down(migrator, db):
    if not isinstance(db, SqliteDatabase):
        _rebuild(db, '"default"', " varchar_pattern_ops")
