"""Where texts go: Twilio, a folder of .txt files (development), or nowhere.

Every backend has the same three calls: `send(to, body, status_callback=None) -> SendResult`,
`probe()` (is the provider answering?) and `find_sent(to, body, since)` (the texts to `to` with
this body that the provider accepted since then, newest first: asked before sending again a
text whose request got no answer). Failures are told with `coalition.mail.errors`, so the
outbox treats an SMS provider and an SMTP relay alike.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coalition.mail.errors import (
    ChannelDown,
    ChannelRefused,
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
)
from coalition.sms.segments import count_segments

#: Twilio error codes that mean the number itself cannot get texts (remembered on the number).
INVALID_NUMBER_CODES = {21211, 21214, 21217, 21401, 21407, 21408, 21421, 21612, 21614}
#: The person replied STOP to our sending number.
OPTED_OUT_CODES = {21610}
#: Twilio error codes about our account or sending number, not the recipient: every text would
#: be refused the same way (authentication, account suspended or closed, a From number or
#: messaging service we may not use).
SENDER_CODES = {20003, 20005, 21212, 21606, 21659, 21701, 21703, 21704, 21705}
#: "Too many queued messages" for our number: busy, it passes.
BUSY_CODES = {20429, 21611}


@dataclass
class SendResult:
    provider_id: str | None
    segments: int


class NoBackend:
    """SMS_BACKEND=none: nothing is ever queued for it, and nothing is sent."""

    def send(self, to: str, body: str, status_callback: str | None = None, **_kw) -> SendResult:
        raise PermanentFailure("SMS_BACKEND is none: texts are not sent")

    def probe(self) -> None:
        return None

    def find_sent(self, to: str, body: str, since: datetime, **_kw) -> list[SendResult]:
        return []


class FolderBackend:
    """One .txt file per text, named by the outbox row (a re-send overwrites, never doubles)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, to: str, body: str, status_callback: str | None = None, *, name: str = "text"):
        count = count_segments(body)
        path = self.folder / f"{name}.txt"
        partial = path.with_suffix(".part")
        partial.write_text(
            f"To: {to}\nSegments: {count.segments} ({count.encoding})\n\n{body}\n",
            encoding="utf-8",
        )
        os.replace(partial, path)  # a file is there whole, or not at all
        return SendResult(provider_id=None, segments=count.segments)

    def probe(self) -> None:
        if not self.folder.is_dir():
            raise ChannelDown(f"{self.folder} is missing")

    def find_sent(self, to: str, body: str, since: datetime, *, name: str = "text", **_kw):
        """The row's file, if it was written (it is named by the outbox row)."""
        path = self.folder / f"{name}.txt"
        if not path.exists():
            return []
        return [SendResult(provider_id=None, segments=count_segments(body).segments)]


class TwilioBackend:
    """The `twilio` package's client; its base URL comes from TWILIO_BASE_URL."""

    def __init__(self, config):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # The client logs each request's parameters (numbers, bodies) at INFO: never ours.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self.account_sid = config["TWILIO_ACCOUNT_SID"]
        self.sender = config["TWILIO_FROM"]
        self.service_sid = config["TWILIO_MESSAGING_SERVICE_SID"]
        if not self.account_sid or not config["TWILIO_AUTH_TOKEN"]:
            raise ChannelDown("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
        if not (self.sender or self.service_sid):
            raise ChannelDown("set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        self.client = Client(
            self.account_sid,
            config["TWILIO_AUTH_TOKEN"],
            http_client=TwilioHttpClient(timeout=config["SMS_TIMEOUT"]),
        )
        self.client.api.base_url = config["TWILIO_BASE_URL"]

    def _call(self, func):
        import requests
        from twilio.base.exceptions import TwilioRestException

        try:
            return func()
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except requests.exceptions.ConnectionError as exc:  # includes connect timeouts
            raise ChannelDown(f"provider unreachable: {exc}") from exc
        except requests.exceptions.Timeout as exc:  # the request went; no answer came
            raise OutcomeUnknown(f"no answer from the provider: {exc}") from exc

    def send(self, to: str, body: str, status_callback: str | None = None, **_kw) -> SendResult:
        arguments = {"to": to, "body": body}
        if self.service_sid:
            arguments["messaging_service_sid"] = self.service_sid
        else:
            arguments["from_"] = self.sender
        if status_callback:
            arguments["status_callback"] = status_callback
        message = self._call(lambda: self.client.messages.create(**arguments))
        segments = int(message.num_segments or 0) or count_segments(body).segments
        return SendResult(provider_id=message.sid, segments=segments)

    def probe(self) -> None:
        self._call(lambda: self.client.api.v2010.accounts(self.account_sid).fetch())

    #: Messages to one number read back when looking one up (newest first).
    LOOKUP_LIMIT = 50

    def find_sent(self, to: str, body: str, since: datetime, **_kw) -> list[SendResult]:
        """Twilio's Messages list resource, `GET /2010-04-01/Accounts/{Sid}/Messages.json?To=`,
        newest first: the messages to `to` with this body created since `since`, oldest first.

        Not filtered by `DateSent`: a message Twilio accepted but has not handed to the carrier
        yet has no `date_sent`, and it is exactly the one we look for.
        """
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            messages = self._call(
                lambda: self.client.messages.list(
                    to=to, limit=self.LOOKUP_LIMIT, page_size=self.LOOKUP_LIMIT
                )
            )
        except TwilioException as exc:  # a page the client could not read: cannot tell now
            if isinstance(exc, TwilioRestException):
                raise
            raise ChannelDown(f"provider cannot list messages now: {exc}") from exc
        found = [
            m
            for m in messages
            # a trial account's messages start "Sent from your Twilio trial account - "
            if (m.body or "").endswith(body)
            and (m.direction or "").startswith("outbound")
            and m.date_created is not None
            and m.date_created >= since
        ]
        found.sort(key=lambda m: m.date_created)
        return [
            SendResult(
                provider_id=m.sid,
                segments=int(m.num_segments or 0) or count_segments(body).segments,
            )
            for m in found
        ]


def _classify(exc) -> Exception:
    code = exc.code
    text = f"Twilio {exc.status} {code}: {exc.msg}"
    if exc.status == 429 or exc.status >= 500 or code in BUSY_CODES:
        return ChannelDown(text, code=code)
    if exc.status in (401, 403, 404):  # credentials or account: nothing will go until fixed
        return ChannelRefused(text, code=code, stage="account")
    if code in SENDER_CODES:
        return ChannelRefused(text, code=code, stage="sender")
    if code in OPTED_OUT_CODES:
        failure = PermanentFailure(text, code=code)
        failure.recipient_opted_out = True
        return failure
    if code in INVALID_NUMBER_CODES:
        failure = PermanentFailure(text, code=code)
        failure.recipient_invalid = True
        return failure
    if 400 <= exc.status < 500:
        return PermanentFailure(text, code=code)
    return TemporaryFailure(text, code=code)


def make_backend(config):
    name = config["SMS_BACKEND"]
    if name == "twilio":
        return TwilioBackend(config)
    if name == "folder":
        return FolderBackend(config["SMS_FOLDER"])
    return NoBackend()
