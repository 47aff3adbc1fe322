"""Index dossiers by household key: the duplicate check looks them up on every request."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("dossier", ("household_key",), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("dossier", "dossier_household_key"))
