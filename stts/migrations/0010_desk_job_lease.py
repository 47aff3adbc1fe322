"""Background jobs with visible progress share one lifecycle with the XML batches: a worker
holds a job through a lease, and a job whose worker died is resumed from its position."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("desk_job", "lease_token", CharField(max_length=32, null=True)),
        migrator.add_column("desk_job", "lease_until", DateTimeField(null=True)),
        migrator.add_column("desk_job", "updated_at", DateTimeField(null=True)),
        migrator.add_column("desk_job", "position", BigIntegerField(default=0)),
        migrator.add_column("desk_job", "input_name", CharField(max_length=64, null=True)),
        migrator.add_index("desk_job", ("state", "updated_at"), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("desk_job", "desk_job_state_updated_at"),
        migrator.drop_column("desk_job", "input_name"),
        migrator.drop_column("desk_job", "position"),
        migrator.drop_column("desk_job", "updated_at"),
        migrator.drop_column("desk_job", "lease_until"),
        migrator.drop_column("desk_job", "lease_token"),
    )
