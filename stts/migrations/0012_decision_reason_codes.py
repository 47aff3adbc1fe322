"""The reasons the application writes itself are stored as codes
(``stts.labels.DECISION_REASON_LABELS``) and shown in the reader's language; the English
texts stored before become their codes, in the dossiers and in their timeline."""
from peewee import Table, fn

TEXTS = {
    "automatic check: eligible": "AUTO_ELIGIBLE",
    "automatic check: person not known": "AUTO_NOT_KNOWN",
    "automatic check: no right valid today": "AUTO_NO_RIGHT",
    "automatic check: other category": "AUTO_OTHER_CATEGORY",
    "documents came too late": "DOCUMENTS_LATE",
}


def _swap(db, pairs):
    dossier = Table("dossier", ("decision_reason",)).bind(db)
    action = Table("dossier_action", ("before", "after")).bind(db)
    for text, code in pairs:
        dossier.update(decision_reason=code).where(dossier.decision_reason == text).execute()
        for column in (action.before, action.after):
            action.update({column: fn.REPLACE(column, f'"{text}"', f'"{code}"')}).where(
                column.contains(f'"{text}"')).execute()


def up(migrator, db):
    _swap(db, TEXTS.items())


def down(migrator, db):
    _swap(db, [(code, text) for text, code in TEXTS.items()])
