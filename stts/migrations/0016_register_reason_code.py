"""The National Register feed's actions carry a reason code (shown in the reader's language)
instead of an English text with an ISO date."""
from peewee import Table, fn


def up(migrator, db):
    action = Table("dossier_action", ("reason",)).bind(db)
    # Exactly the text the feed wrote, "National Register " and an ISO date (10 characters):
    # a person's own words are left as typed.
    written = "National Register "
    action.update(reason="NATIONAL_REGISTER").where(
        action.reason.startswith(written)
        & (fn.LENGTH(action.reason) == len(written) + len("2026-11-01"))).execute()


def down(migrator, db):
    action = Table("dossier_action", ("reason",)).bind(db)
    action.update(reason="National Register").where(
        action.reason == "NATIONAL_REGISTER").execute()
