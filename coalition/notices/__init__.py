"""One registry of everything the service sends (issue 22).

Each notice kind (the `kind` of its outbox rows) declares its audience, the channels that
audience can be reached on, and its templates: `templates/email/<email>.txt` + `.html`, and
`templates/sms/<sms>.txt`. Features declare theirs in `<feature>/notice_kinds.py` (a tuple
`NOTICES`); the app factory hands them all to `init_app`, which refuses to start when a template
is missing or when an audience that may have only a phone gets a notice without a text.
`mail.operations.queue_email` and `sms.operations.queue_sms` send only registered kinds, with
their registered templates, so every message the service can send is in this one list and a test
walks it (`tests/core/test_notices.py`: every notice x channel x language).

This module is the ground floor: it imports no feature and no channel. Adding a notice is one
line in the feature's `notice_kinds.py`:

    Notice("rsvp_changed", ATTENDEE, email="rsvps/changed", sms="rsvps/changed"),
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask import Flask, current_app

EMAIL = "email"
SMS = "sms"


@dataclass(frozen=True)
class Audience:
    """Who gets a notice, and on which channels such a person can be reached: a person who
    gave only a phone must get every notice of their audience as a text."""

    name: str
    channels: tuple[str, ...]


#: Someone who RSVPed for a date (email, or a phone only), a delegation's member included.
ATTENDEE = Audience("attendee", (EMAIL, SMS))
#: Someone registered for a whole series: `sessions.series.register` takes no phone-only one.
SERIES_ATTENDEE = Audience("series attendee", (EMAIL,))
#: A delegation's lead (email, or a phone only).
LEAD = Audience("delegation lead", (EMAIL, SMS))
#: A volunteer helper (email, or a phone only).
HELPER = Audience("helper", (EMAIL, SMS))
#: A rapid responder (texts, email, or both, as they chose).
RESPONDER = Audience("rapid responder", (EMAIL, SMS))
#: A person with an account, or asking for one (organizers, admins, invitees): email only.
ACCOUNT = Audience("account holder", (EMAIL,))

AUDIENCES = (ATTENDEE, SERIES_ATTENDEE, LEAD, HELPER, RESPONDER, ACCOUNT)


@dataclass(frozen=True)
class Notice:
    """One kind of message: `email` and `sms` name its templates (None: not on that channel)."""

    kind: str
    audience: Audience
    email: str | None = None
    sms: str | None = None

    def template(self, channel: str) -> str | None:
        return self.email if channel == EMAIL else self.sms

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c in (EMAIL, SMS) if self.template(c))

    def template_files(self) -> list[str]:
        files = []
        if self.email:
            files += [f"email/{self.email}.txt", f"email/{self.email}.html"]
        if self.sms:
            files.append(f"sms/{self.sms}.txt")
        return files


class NoticeError(RuntimeError):
    """A notice declared wrongly, or sent without being declared (a bug: never a user's)."""


class Registry:
    """The notices of one app, by kind."""

    def __init__(self, notices: Iterable[Notice] = ()):
        self._by_kind: dict[str, Notice] = {}
        self.add(*notices)

    def add(self, *notices: Notice) -> None:
        for notice in notices:
            known = self._by_kind.get(notice.kind)
            if known is not None and known != notice:
                raise NoticeError(f"notice {notice.kind!r} is declared twice, differently")
            lacking = [c for c in notice.audience.channels if not notice.template(c)]
            if lacking:
                raise NoticeError(
                    f"notice {notice.kind!r} goes to a {notice.audience.name}, who may be "
                    f"reached only by {' or '.join(lacking)}: it needs a template there"
                )
            extra = [c for c in notice.channels if c not in notice.audience.channels]
            if extra:
                raise NoticeError(
                    f"notice {notice.kind!r}: a {notice.audience.name} has no {extra}"
                )
            self._by_kind[notice.kind] = notice

    def __iter__(self) -> Iterator[Notice]:
        return iter(sorted(self._by_kind.values(), key=lambda n: n.kind))

    def __len__(self) -> int:
        return len(self._by_kind)

    def __contains__(self, kind: str) -> bool:
        return kind in self._by_kind

    def __getitem__(self, kind: str) -> Notice:
        try:
            return self._by_kind[kind]
        except KeyError:
            raise NoticeError(
                f"notice {kind!r} is not registered: declare it in its feature's notice_kinds.py"
            ) from None

    def template(self, kind: str, channel: str, asked: str | None = None) -> str:
        """The template of `kind` on `channel`; `asked` (the caller's) must be that one."""
        registered = self[kind].template(channel)
        if registered is None:
            raise NoticeError(f"notice {kind!r} has no {channel} template")
        if asked is not None and asked != registered:
            raise NoticeError(
                f"notice {kind!r} sends {channel} template {registered!r}, not {asked!r}"
            )
        return registered

    def missing_templates(self, app: Flask) -> list[str]:
        loader = app.jinja_env.loader
        missing = []
        for notice in self:
            for name in notice.template_files():
                try:
                    loader.get_source(app.jinja_env, name)
                except Exception:  # TemplateNotFound, or unreadable
                    missing.append(f"{notice.kind}: templates/{name}")
        return missing


def init_app(app: Flask, notices: Iterable[Notice]) -> Registry:
    """Install the app's registry; raises at start when any template is missing."""
    registry = Registry(notices)
    missing = registry.missing_templates(app)
    if missing:
        raise NoticeError("missing notice templates:\n  " + "\n  ".join(missing))
    app.extensions["notices"] = registry
    return registry


def registry() -> Registry:
    """The current app's notices."""
    return current_app.extensions["notices"]
