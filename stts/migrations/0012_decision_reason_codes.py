"""The reasons the application writes itself are stored as codes
(``stts.labels.DECISION_REASON_LABELS``) and shown in the reader's language; the English
texts stored before become their codes, in the dossiers and in their timeline."""

TEXTS = {
    "automatic check: eligible": "AUTO_ELIGIBLE",
    "automatic check: person not known": "AUTO_NOT_KNOWN",
    "automatic check: no right valid today": "AUTO_NO_RIGHT",
    "automatic check: other category": "AUTO_OTHER_CATEGORY",
    "documents came too late": "DOCUMENTS_LATE",
}


def _swap(db, pairs):
    for text, code in pairs:
        db.execute_sql("UPDATE dossier SET decision_reason = %s WHERE decision_reason = %s"
                       .replace("%s", _mark(db)), (code, text))
        for column in ("before", "after"):
            db.execute_sql(
                f'UPDATE dossier_action SET "{column}" = REPLACE("{column}", %s, %s) '
                f'WHERE "{column}" LIKE %s'.replace("%s", _mark(db)),
                (f'"{text}"', f'"{code}"', f'%"{text}"%'))


def _mark(db):
    return getattr(db, "param", "?") or "?"


def up(migrator, db):
    _swap(db, TEXTS.items())


def down(migrator, db):
    _swap(db, [(code, text) for text, code in TEXTS.items()])
