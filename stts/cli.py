"""``flask stts ...`` commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale

from stts.db import database, migrate
from stts.demo import DEMO_PASSWORD, seed_demo
from stts.demo_statistics import seed_statistics_history
from stts.eligibility import import_snapshot
from stts.models import User
from stts.services.audit import verify_chain, verify_checkpoints, write_checkpoint
from stts.services.backup import backup_sqlite
from stts.services.notifications import deliver_pending
from stts.services.register_feed import decode, error_message, import_register
from stts.services.statistics.summary import rebuild as rebuild_statistics
from stts.services.users import unlock_account
from stts.services.xml_batches.processing import cli_send

stts_cli = AppGroup("stts", help="STTS administration commands.")


@stts_cli.command("migrate")
def migrate_command():
    """Apply pending numbered migrations."""
    applied = migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@stts_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo operators, users and institution accounts (idempotent)."""
    with database.connection_context():
        logins = seed_demo()
        seed_statistics_history()
        rebuild_statistics()
    click.echo("Demo logins (password for all: %s)" % DEMO_PASSWORD)
    for username, what, company in logins:
        click.echo(f"  {username:<16} {what:<14} {company}")


@stts_cli.command("stats-rebuild")
def stats_rebuild_command():
    """Rebuild the dashboards' monthly summary from the dossier history (idempotent)."""
    with database.connection_context():
        refresh = rebuild_statistics()
    click.echo(f"statistics rebuilt from {refresh.dossiers} dossiers and {refresh.actions} "
               f"actions in {refresh.seconds} s")


@stts_cli.command("unlock")
@click.argument("username")
@click.option("--reason", required=True, help="Why the account is unlocked (audited).")
def unlock_command(username, reason):
    """Lift every lockout of USERNAME (the installation's operator)."""
    with database.connection_context():
        user = User.get_or_none(User.username == username.strip())
        if user is None:
            raise click.ClickException(f"No user {username!r}.")
        unlock_account(user, actor=None, reason=reason)
    click.echo(f"{user.username} unlocked.")


@stts_cli.command("deliver-mail")
def deliver_mail_command():
    """Send queued notifications (SMTP, or .eml files in instance/outbox)."""
    with database.connection_context():
        click.echo(f"delivered: {deliver_pending()}")


@stts_cli.command("audit-verify")
def audit_verify_command():
    """Check the audit trail's keyed hash chain and the signed checkpoints of its head kept
    outside the database; exits 1 when a row was altered, deleted or cut off."""
    with database.connection_context():
        broken = verify_chain()
        problems = verify_checkpoints()
    if broken:
        click.echo(f"audit trail BROKEN at rows: {', '.join(map(str, broken[:50]))}", err=True)
    for problem in problems:
        click.echo(f"audit checkpoint: {problem}", err=True)
    if broken or problems:
        raise SystemExit(1)
    click.echo("audit trail intact")


@stts_cli.command("audit-checkpoint")
def audit_checkpoint_command():
    """Anchor the audit trail's head now (the worker does it every few minutes)."""
    with database.connection_context():
        checkpoint = write_checkpoint()
    click.echo(f"checkpoint at row {checkpoint['id']}" if checkpoint else "head unchanged")


@stts_cli.command("import-eligibility")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--keep", is_flag=True, help="Add to the snapshot instead of replacing it.")
def import_eligibility_command(path, keep):
    """Load the eligibility snapshot from a CSV file (dossier desk)."""
    with database.connection_context(), open(path, encoding="utf-8-sig", newline="") as handle:
        report = import_snapshot(handle, replace=not keep)
    click.echo(f"loaded: {report.loaded}, rejected: {len(report.errors)}")
    for line, message in report.errors[:100]:
        click.echo(f"  line {line}: {message}", err=True)
    if report.errors:
        raise SystemExit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(stts_cli)


@stts_cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True))
def backup_command(destination):
    """Copy the live SQLite database to DESTINATION with SQLite's online backup API."""
    counts = backup_sqlite(destination)
    click.echo(f"backup written to {destination}: " +
               ", ".join(f"{table}={count}" for table, count in sorted(counts.items())))


@stts_cli.command("send-xml")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--sender", required=True, help="Username of a user allowed to send XML.")
def send_xml_command(path, sender):
    """Send a batch file as SENDER and process it now (testing; docs/xml.md)."""
    with database.connection_context():
        code = cli_send(path, sender, click.echo)
    raise SystemExit(code)


@stts_cli.command("import-register")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_register_command(path):
    """Apply a National Register feed file (CSV; docs/register-feed.md) now."""
    with open(path, "rb") as handle:
        text = decode(handle.read())
    with database.connection_context():
        report = import_register(text)
    click.echo(f"applied: {report.applied} (addresses {report.address_changes}, deaths "
               f"{report.deaths}), ignored: {report.ignored}, already applied: "
               f"{report.duplicates}, bad lines: {report.error_count}")
    with force_locale("en"):
        for line, code, detail in report.errors[:100]:
            click.echo(f"  line {line}: {error_message(code, detail)}", err=True)
    if report.error_count:
        raise SystemExit(1)
