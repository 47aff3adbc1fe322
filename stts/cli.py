"""``flask stts ...`` commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from stts.db import database

stts_cli = AppGroup("stts", help="STTS administration commands.")


@stts_cli.command("migrate")
def migrate_command():
    """Apply pending numbered migrations."""
    from stts.db import migrate

    applied = migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@stts_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo operators, users and institution accounts (idempotent)."""
    from stts.demo import DEMO_PASSWORD, seed_demo

    with database.connection_context():
        logins = seed_demo()
    click.echo("Demo logins (password for all: %s)" % DEMO_PASSWORD)
    for username, what, company in logins:
        click.echo(f"  {username:<16} {what:<14} {company}")


@stts_cli.command("deliver-mail")
def deliver_mail_command():
    """Send queued notifications (SMTP, or .eml files in instance/outbox)."""
    from stts.services.notifications import deliver_pending

    with database.connection_context():
        click.echo(f"delivered: {deliver_pending()}")


@stts_cli.command("audit-verify")
def audit_verify_command():
    """Check the audit trail's hash chain; exits 1 when a row was altered."""
    from stts.services.audit import verify_chain

    with database.connection_context():
        broken = verify_chain()
    if broken:
        click.echo(f"audit trail BROKEN at rows: {', '.join(map(str, broken[:50]))}", err=True)
        raise SystemExit(1)
    click.echo("audit trail intact")


def register_cli(app: Flask) -> None:
    app.cli.add_command(stts_cli)
