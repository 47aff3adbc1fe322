"""Portal abuse resistance and API tokens that die with their creator's authority.

- A draft remembers the address that started it and the size of its upload (the portal's
  upload quota), so abandoned drafts and their files can be counted and purged.
- Several open access requests for one enterprise number are allowed: a request for someone
  else's number no longer blocks the genuine one (the agent sees them side by side).
- A technical account records when its token was last used and why it was revoked; tokens of
  a creator who is no longer the company's live local manager are revoked now.
"""
from datetime import UTC, datetime

from peewee import JOIN, CharField, DateTimeField, IntegerField, Table


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("access_request_draft", "address", CharField(max_length=64, null=True)),
        migrator.add_column("access_request_draft", "gazette_bytes", IntegerField(default=0)),
        migrator.add_column("technical_account", "last_used_at", DateTimeField(null=True)),
        migrator.add_column("technical_account", "revoked_reason",
                            CharField(max_length=20, null=True)),
    )
    db.execute_sql("DROP INDEX IF EXISTS access_request_one_open_per_company")
    account = Table("technical_account", ("id", "company_id", "created_by_id", "revoked_at",
                                          "revoked_reason")).bind(db)
    user = Table("user", ("id", "company_id", "is_local_manager", "blocked")).bind(db)
    live = (account.select(account.id)
            .join(user, JOIN.INNER, on=(user.id == account.created_by_id))
            .where((user.company_id == account.company_id) & (user.is_local_manager == True)  # noqa: E712
                   & (user.blocked == False)))  # noqa: E712
    now = datetime.now(UTC).replace(tzinfo=None)
    account.update(revoked_at=now, revoked_reason="creator_gone").where(
        account.revoked_at.is_null() & account.id.not_in(live)).execute()


def down(migrator, db):
    db.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS access_request_one_open_per_company ON access_request "
        "(enterprise_number) WHERE status IN ('awaiting_original', 'original_received')")
    migrator.migrate(
        migrator.drop_column("access_request_draft", "address"),
        migrator.drop_column("access_request_draft", "gazette_bytes"),
        migrator.drop_column("technical_account", "last_used_at"),
        migrator.drop_column("technical_account", "revoked_reason"),
    )
