"""The notification outbox: mails are queued in the caller's transaction, delivered after.

Delivery uses SMTP when MAIL_SMTP_HOST is configured, otherwise writes .eml files to
``instance/outbox`` (development and demo installs).
"""
from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from stts.db import utcnow
from stts.models import OutboundMail


def queue_mail(recipient: str, subject: str, body: str) -> OutboundMail:
    return OutboundMail.create(recipient=recipient, subject=str(subject), body=str(body))


def _message(mail: OutboundMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="stts.invalid")
    message.set_content(mail.body)
    return message


def outbox_dir() -> str:
    path = os.path.join(current_app.instance_path, "outbox")
    os.makedirs(path, exist_ok=True)
    return path


def deliver_pending(limit: int = 100) -> int:
    """Send queued mails; returns how many were delivered."""
    config = current_app.config
    pending = list(
        OutboundMail.select().where(OutboundMail.sent_at.is_null()).order_by(OutboundMail.id)
        .limit(limit)
    )
    delivered = 0
    for mail in pending:
        try:
            message = _message(mail)
            if config.get("MAIL_SMTP_HOST"):
                with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"],
                                  timeout=30) as smtp:
                    if config.get("MAIL_SMTP_STARTTLS"):
                        smtp.starttls()
                    if config.get("MAIL_SMTP_USERNAME"):
                        smtp.login(config["MAIL_SMTP_USERNAME"], config["MAIL_SMTP_PASSWORD"])
                    smtp.send_message(message)
            else:
                path = os.path.join(outbox_dir(), f"{mail.id:08d}.eml")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(bytes(message))
        except (OSError, smtplib.SMTPException) as error:
            OutboundMail.update(attempts=OutboundMail.attempts + 1, last_error=str(error)).where(
                OutboundMail.id == mail.id).execute()
            continue
        # The body may hold provisional credentials: keep it only until it is sent.
        OutboundMail.update(sent_at=utcnow(), body="", attempts=OutboundMail.attempts + 1).where(
            OutboundMail.id == mail.id).execute()
        delivered += 1
    return delivered
