"""Where delivered mail goes: an SMTP relay, or a folder of .eml files for development."""

from __future__ import annotations

import re
import smtplib
from contextlib import suppress
from email import policy
from pathlib import Path

from flask import current_app
from flask_mail import Message

from coalition.mail.errors import (
    ChannelDown,
    ChannelRefused,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
)
from coalition.mail.models import OutgoingEmail


class _WirePolicy(policy.Compat32):
    """compat32 (no re-parsing of every header through the header registry; Flask-Mail already
    RFC 2047-encodes what needs it), with a shortcut for the common header: short, ASCII, one
    line, which folding would leave as it is anyway (`email.header.Header` costs ~30 µs each)."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and "\n" not in value
            and "\r" not in value
            and value.strip() == value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_WIRE_POLICY = _WirePolicy(linesep="\r\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class OutboxMessage(Message):
    def as_bytes(self) -> bytes:
        message = self._message()
        # Boundaries from the random Message-ID: the generator then skips drawing one and
        # searching the whole text for it with a fresh regular expression, per part.
        token = re.sub(r"\W", "", self.msgId or "")[:32]
        if token:
            for number, part in enumerate(message.walk()):
                if part.is_multipart():
                    subtype = part.get_content_subtype()
                    # What set_boundary() writes, without parsing the header back first.
                    part.replace_header(
                        "Content-Type", f'multipart/{subtype}; boundary="=_{token}_{number}"'
                    )
        return message.as_bytes(policy=_WIRE_POLICY)


def build_message(email: OutgoingEmail, *, row_id: bool = True) -> Message:
    """The MIME message (text and HTML alternatives, attachments) for an outbox row.

    `row_id=False` leaves out X-Coalition-Id (the row has no id before it is flushed):
    `render_mime` stores the message without it and the transport puts it in front.
    """
    headers = dict(email.headers or {})
    if row_id:
        # X-Coalition-Id names the outbox row: a re-sent message can be recognised downstream.
        headers["X-Coalition-Id"] = str(email.id)
    # Flask-Mail's constructor, minus the Message-ID it draws with email.utils.make_msgid, which
    # asks the system for the host's name every time (a third of the cost of building one); the
    # row has its own. The attributes are the ones Message.__init__ sets.
    message = OutboxMessage.__new__(OutboxMessage)
    message.__dict__.update(
        recipients=[email.recipient],
        subject=email.subject,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=None,
        cc=[],
        bcc=[],
        body=email.body_text,
        alts={},
        date=None,
        msgId=email.message_id,  # the same Message-ID on every try of this row
        charset=None,
        extra_headers=headers,
        mail_options=[],
        rcpt_options=[],
        attachments=[],
    )
    message.html = email.body_html
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


def render_mime(email: OutgoingEmail) -> bytes:
    """The message as it goes on the wire, minus X-Coalition-Id (see `wire_bytes`)."""
    return build_message(email, row_id=False).as_bytes()


def wire_bytes(email: OutgoingEmail) -> bytes:
    """What is sent for an outbox row: its stored MIME with X-Coalition-Id in front (a header
    may stand anywhere in the header block), or, for a row queued without it, built now."""
    if email.mime is not None:
        return b"X-Coalition-Id: %d\r\n" % email.id + email.mime
    return build_message(email).as_bytes()


class FolderTransport:
    """Writes one .eml file per message (what `make run` uses), named by the outbox row."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def probe(self) -> None:
        if not self.folder.is_dir():
            raise ChannelDown(f"{self.folder} is missing")

    def send(self, email: OutgoingEmail, ready=None) -> None:
        data = wire_bytes(email)
        if ready is not None:
            ready()
        name = f"{email.created_at:%Y%m%dT%H%M%S}-{email.id}.eml"
        (self.folder / name).write_bytes(data)

    def close(self) -> None:
        pass


class SMTPTransport:
    """One SMTP connection reused for a batch; every call bounded by MAIL_TIMEOUT.

    Failures are sorted for the outbox (`coalition.mail.errors`) by the step that failed
    (`classify`): no connection, a 421 or a dropped connection before the message went pause
    the channel; a refusal of the connection, the credentials or the sender pauses it too, and
    the admins are told; a refusal of the recipient or the contents fails (5xx) or delays (4xx)
    that one message; a timeout or a drop after the whole message was sent is "unknown" (it may
    have arrived).
    """

    def __init__(self, config):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        stage, smtp = "connect", None
        try:
            smtp = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
            stage = "ehlo"
            smtp.ehlo_or_helo_if_needed()
            if cfg["MAIL_USE_TLS"]:
                stage = "starttls"
                smtp.starttls()
            if cfg["MAIL_USERNAME"] and cfg["MAIL_PASSWORD"]:
                stage = "auth"
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except smtplib.SMTPResponseException as exc:
            if smtp is not None:
                with suppress(OSError):
                    smtp.close()
            raise classify(stage, exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            if stage in ("starttls", "auth") and not isinstance(
                exc, smtplib.SMTPServerDisconnected | TimeoutError | ConnectionError
            ):  # no STARTTLS, no AUTH, no method we know: our configuration, not an outage
                with suppress(OSError):
                    smtp.close()
                raise ChannelRefused(f"{stage}: {exc}", stage=stage) from exc
            if smtp is not None:
                with suppress(OSError):
                    smtp.close()
            raise ChannelDown(f"SMTP relay unavailable: {type(exc).__name__}: {exc}") from exc
        return smtp

    def probe(self) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            code, text = smtp.noop()
            if code == 250:
                # Our sender too: a relay that refuses it (expired credentials, a suspended
                # account) keeps the channel paused without a message being tried.
                code, text = smtp.mail(self.config["MAIL_DEFAULT_SENDER"])
                stage = "mail"
                self._reset(smtp)
            else:
                stage = "connect"
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise ChannelDown(f"SMTP relay unavailable: {exc}") from exc
        if code != 250:
            self._drop()
            raise classify(stage, code, text)

    def send(self, email: OutgoingEmail, ready=None) -> None:
        """Send one message. `ready()` is called just before the end of data, the point from
        which the message counts as sent (the outbox makes sure the previous mark is written).
        """
        data = wire_bytes(email)
        sender = self.config["MAIL_DEFAULT_SENDER"]
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        stage = "mail"
        try:
            self._envelope(smtp, sender, email.recipient)
            stage = "data"
            code, text = smtp.docmd("data")
            if code != 354:
                raise smtplib.SMTPDataError(code, text)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset(smtp)
            code, text = next(iter(exc.recipients.values()))
            raise classify("rcpt", code, text) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset(smtp)
            raise classify(stage, exc.smtp_code, exc.smtp_error) from exc
        except OSError as exc:  # SMTPServerDisconnected and socket errors (SMTPException too)
            self._drop()
            raise ChannelDown(f"SMTP connection lost: {type(exc).__name__}: {exc}") from exc
        payload = _LEADING_DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        if ready is not None:
            try:
                ready()
            except Exception:
                self._drop()  # the message is not complete: the relay discards it
                raise
        try:
            smtp.send(payload + b".\r\n")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:  # the end mark never went
            self._drop()
            raise ChannelDown(f"SMTP connection lost: {exc}") from exc
        try:
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise OutcomeUnknown(f"no answer after the message was sent: {exc}") from exc
        if code != 250:
            raise classify("data", code, text)

    def _envelope(self, smtp: smtplib.SMTP, sender: str, recipient: str) -> None:
        code, text = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})

    def _reset(self, smtp: smtplib.SMTP) -> None:
        with suppress(OSError, smtplib.SMTPException):
            smtp.rset()

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


#: Steps of the conversation before any message: a refusal there is the channel's.
CONNECTION_STAGES = ("connect", "ehlo", "starttls", "auth")
#: Codes that say "authenticate first" or "your credentials failed", whatever the step.
AUTH_CODES = {530, 534, 535, 538}
_RELAY_DENIED = re.compile(
    r"relay(ing)? (access )?(denied|not permitted|not allowed)|5\.7\.1.*relay", re.I
)


def classify(stage: str, code: int, text) -> Exception:
    """What an SMTP answer `code` at `stage` means for the outbox (README: "When mail is
    refused" has the table):

    - 421 anywhere: the relay is closing the connection (busy): an outage (`ChannelDown`);
    - connect, EHLO, STARTTLS, AUTH: 4xx an outage, 5xx a refusal of us (`ChannelRefused`);
    - MAIL FROM: our sender; 4xx an outage, 5xx a refusal of us (530 authentication required,
      550 sender rejected, 554 account suspended...);
    - RCPT TO and DATA: about this message (4xx later, 5xx never), except what names our
      credentials (530, 535...) or a relay denied, which no recipient can fix: a refusal of us.
    """
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    message = f"{stage}: {code} {text}"
    if code == 421:  # the relay is closing the connection: its problem, not the message's
        return ChannelDown(message, code=code)
    if stage in CONNECTION_STAGES or stage == "mail":
        if code >= 500:
            return ChannelRefused(message, code=code, stage=stage)
        return ChannelDown(message, code=code)
    if code in AUTH_CODES or _RELAY_DENIED.search(text):
        return ChannelRefused(message, code=code, stage=stage)
    if code >= 500:
        return PermanentFailure(message, code=code)
    return TemporaryFailure(message, code=code)


def open_email_transport(config):
    if config["MAIL_BACKEND"] == "folder":
        return FolderTransport(config["MAIL_FOLDER"])
    return SMTPTransport(config)
