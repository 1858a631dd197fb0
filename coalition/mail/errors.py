"""What a channel's transport (SMTP relay, SMS provider) says when a message did not go.

The outbox decides from the kind of failure, not from each transport's exceptions:

- `ChannelDown`: the relay or provider cannot be reached, or answers "busy" (connection
  refused, timeout before the message was handed over, SMTP 421, HTTP 429/5xx). The whole
  channel pauses and probes; the message itself is not blamed.
- `ChannelRefused`: the relay or provider answers, and refuses us rather than the message: our
  connection, credentials, account or sender (SMTP 5xx to the greeting, EHLO or AUTH, any
  refusal of MAIL FROM, 530 authentication required or "relay denied" for a recipient; Twilio
  401/403/404 or a sender the account may not use). An outage that will not end by itself:
  the channel pauses as for `ChannelDown`, and the admins are told once.
- `TemporaryFailure`: this message was refused for now (SMTP 4xx for a recipient).
- `PermanentFailure`: this message will never go (SMTP 5xx for a recipient or the contents, an
  invalid number).
- `OutcomeUnknown`: the message was handed over and no answer came (a timeout after SMTP DATA
  or after the provider got the request). It may have arrived: retried once, after a pause.
"""

from __future__ import annotations


class DeliveryError(Exception):
    def __init__(self, message: str, *, code: int | str | None = None):
        super().__init__(message)
        self.code = code


class ChannelDown(DeliveryError):
    pass


class ChannelRefused(ChannelDown):
    """The channel refuses our connection, account or sender (see the module's docstring).

    `stage` names the step of the conversation that was refused ("connect", "ehlo", "auth",
    "mail", "rcpt", "data" for SMTP; "account", "sender" for the SMS provider).
    """

    def __init__(self, message: str, *, code: int | str | None = None, stage: str = ""):
        super().__init__(message, code=code)
        self.stage = stage


class TemporaryFailure(DeliveryError):
    pass


class PermanentFailure(DeliveryError):
    #: The recipient (a phone number) is invalid or asked for no more messages: remember it.
    recipient_invalid: bool = False
    recipient_opted_out: bool = False


class OutcomeUnknown(DeliveryError):
    pass


class Hold:
    """A channel's answer before sending: not now (`until`), never (`status`), or stop the batch.

    `stop_until` pauses the whole channel (e.g. the daily SMS cap) without blaming an outage.
    """

    def __init__(self, reason: str, *, until=None, status=None, stop_until=None):
        self.reason = reason
        self.until = until
        self.status = status
        self.stop_until = stop_until
