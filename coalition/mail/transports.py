"""Where delivered mail goes: an SMTP relay, or a folder of .eml files for development."""

from __future__ import annotations

import smtplib
import uuid
from contextlib import contextmanager, suppress
from email import policy
from pathlib import Path

from flask import current_app
from flask_mail import Message

from coalition.mail.models import OutgoingEmail

#: Serializing with the compat32 policy skips re-parsing every header through the header
#: registry (half the cost per message); Flask-Mail already RFC 2047-encodes what needs it.
_WIRE_POLICY = policy.compat32.clone(linesep="\r\n")


class OutboxMessage(Message):
    def as_bytes(self) -> bytes:
        return self._message().as_bytes(policy=_WIRE_POLICY)


def build_message(email: OutgoingEmail) -> Message:
    """The MIME message (text and HTML alternatives, attachments) for an outbox row."""
    message = OutboxMessage(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        # X-Coalition-Id names the outbox row: a re-sent message can be recognised downstream.
        extra_headers={**(email.headers or {}), "X-Coalition-Id": str(email.id)},
    )
    for attachment in email.attachments or []:
        data = attachment["data"]
        message.attach(
            filename=attachment["filename"],
            content_type=attachment["content_type"],
            # Text is stored as str: handed over as str, Flask-Mail would encode it with
            # raw-unicode-escape; the content type of a text attachment names UTF-8.
            data=data.encode("utf-8") if isinstance(data, str) else data,
        )
    return message


class FolderTransport:
    """Writes one .eml file per message (what `make run` uses)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, email: OutgoingEmail) -> None:
        message = build_message(email)
        name = f"{email.created_at:%Y%m%dT%H%M%S}-{email.id}-{uuid.uuid4().hex[:6]}.eml"
        (self.folder / name).write_bytes(message.as_bytes())

    def close(self) -> None:
        pass


class SMTPTransport:
    """One SMTP connection reused for a batch; every call bounded by MAIL_TIMEOUT."""

    def __init__(self, config):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        smtp = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"] and cfg["MAIL_PASSWORD"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        return smtp

    def send(self, email: OutgoingEmail) -> None:
        message = build_message(email)
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.sendmail(message.sender, [email.recipient], message.as_bytes())
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()
            raise

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with suppress(OSError):
                smtp.close()

    def close(self) -> None:
        if self._smtp is not None:
            with suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()


@contextmanager
def open_transport():
    config = current_app.config
    if config["MAIL_BACKEND"] == "folder":
        transport = FolderTransport(config["MAIL_FOLDER"])
    else:
        transport = SMTPTransport(config)
    try:
        yield transport
    finally:
        transport.close()
