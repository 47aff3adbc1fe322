"""The dashboards' monthly summary (rebuilt from the dossier history by a worker job), and
the index that finds one user's own actions for the personal dashboard."""
from peewee import *


def up(migrator, db):
    class StatMonth(Model):
        month = DateField()
        company = IntegerField()
        category = CharField(max_length=20)
        service = CharField(max_length=10)
        measure = CharField(max_length=10)
        key = CharField(max_length=40)
        value = IntegerField()

        class Meta:
            database = db
            table_name = 'stat_month'
            indexes = ((('company', 'measure', 'month', 'category', 'service', 'key'), True),)

    class StatRefresh(Model):
        refreshed_at = DateTimeField()
        last_action_id = IntegerField(default=0)
        dossiers = IntegerField(default=0)
        actions = IntegerField(default=0)
        seconds = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'stat_refresh'

    db.create_tables([StatMonth, StatRefresh])
    migrator.migrate(migrator.add_index("dossier_action", ("author_id", "at"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("dossier_action", "dossier_action_author_id_at"))
    db.execute_sql('DROP TABLE IF EXISTS stat_refresh')
    db.execute_sql('DROP TABLE IF EXISTS stat_month')
