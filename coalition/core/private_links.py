"""Views behind a private link: the signed token in the URL is the authorisation.

An RSVP, a helper's sign-up, a series registration and a delegation's roster each have one. Their
pages share a shape: load the record by its token (a bad token is `invalid_link()`, a 404); a
button's POST needs a valid CSRF token (else 400); do one thing; commit; say so and go back to
the private page (303). `PrivateLink` holds that shape once; each view keeps its own route and
`@access(...)` and says what it does; the buttons every person's private page has (erase,
reminders on or off, one-click unsubscribe) are routes `add_person_routes` declares once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coalition.access import public
from coalition.core.forms import EmptyForm
from coalition.core.responses import invalid_link, private
from coalition.extensions import csrf, db
from coalition.tokens import TokenError

Record = TypeVar("Record")


class PrivateLink(Generic[Record]):
    """The private links of one kind of record: `load(token)` finds it (or raises TokenError),
    and `manage_endpoint` (with `token=`) is its private page."""

    def __init__(self, load: Callable[[str], Record], manage_endpoint: str):
        self.load = load
        self.manage_endpoint = manage_endpoint

    def find(self, token: str) -> Record | None:
        """The record, or None when the token is tampered with, revoked or its record erased."""
        try:
            return self.load(token)
        except TokenError:
            return None

    def for_button(self, token: str) -> Record | None:
        """The record for a button's POST (None: answer `invalid_link()`); 400 when the form's
        CSRF token is missing or wrong."""
        record = self.find(token)
        if record is not None and not EmptyForm().validate_on_submit():
            abort(400)
        return record

    def back(self, token: str):
        """303 to the private page."""
        return redirect(url_for(self.manage_endpoint, token=token), 303)

    def done(self, token: str, message: str):
        """Commit, flash `message` and go back to the private page."""
        db.session.commit()
        flash(message, "success")
        return self.back(token)

    def act(
        self,
        token: str,
        action: Callable[[Record], object],
        done: str,
        refused: type[Exception] | tuple[type[Exception], ...] = (),
    ):
        """A button's POST: `action(record)`, commit, flash `done` and back to the private page.

        An exception of the `refused` type (one with a `.message`) is rolled back and flashed
        as an error instead."""
        record = self.for_button(token)
        if record is None:
            return invalid_link()
        try:
            action(record)
        except refused as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return self.back(token)
        return self.done(token, done)

    def reminders(self, token: str, set_consent: Callable[[Record, bool], object], on: bool):
        """The private page's button that turns reminders on or off."""
        message = _("Reminders are on.") if on else _("Reminders are off.")
        return self.act(token, lambda record: set_consent(record, on), message)

    def unsubscribe(self, token: str, set_consent: Callable[[Record, bool], object], page):
        """RFC 8058 one-click unsubscribe (the List-Unsubscribe header of reminder emails): a
        POST turns reminders off, without a CSRF token; a GET (someone opening the link, or a
        link previewer) shows `page(record)`, a button, and changes nothing."""
        record = self.find(token)
        if record is None:
            return invalid_link()
        if request.method == "GET":
            return private(page(record))
        set_consent(record, False)
        db.session.commit()
        return private(
            (_("Reminders are off."), 200, {"Content-Type": "text/plain; charset=utf-8"})
        )

    def erase(self, token: str, erase: Callable[[Record], object], event_of: Callable):
        """A button's POST that erases the record for good, then the shared "erased" page (the link
        is dead from now on, so there is no private page to go back to)."""
        record = self.for_button(token)
        if record is None:
            return invalid_link()
        event = event_of(record)
        erase(record)
        db.session.commit()
        return private(render_template("rsvps/erased.html", event=event))

    def add_person_routes(
        self,
        bp,
        rule: str,
        *,
        erase: Callable[[Record], object],
        event_of: Callable,
        set_consent: Callable[[Record, bool], object],
        unsubscribe_page: Callable[[Record, str], object],
    ) -> None:
        """The buttons of a person's private page at `rule` (with `<token>`), as public routes of
        `bp`: `erase` (`POST <rule>/erase`), `reminders` (`POST <rule>/reminders/on|off`) and
        `unsubscribe` (`<rule>/reminders-off`, RFC 8058 one-click, the List-Unsubscribe header of
        reminder emails, without a CSRF token; a GET shows `unsubscribe_page(record, token)`)."""

        def erase_view(token: str):
            return self.erase(token, erase, event_of)

        def reminders(token: str, state: str):
            return self.reminders(token, set_consent, state == "on")

        def unsubscribe(token: str):
            return self.unsubscribe(
                token, set_consent, lambda record: unsubscribe_page(record, token)
            )

        for name, view in (("erase", erase_view), ("reminders", reminders),
                           ("unsubscribe", unsubscribe)):  # fmt: skip
            view.__name__, view.__module__ = name, bp.import_name  # CSRF exemption is by name
            view.access_rule = public
        csrf.exempt(unsubscribe)
        bp.add_url_rule(f"{rule}/erase", "erase", erase_view, methods=["POST"])
        bp.add_url_rule(f"{rule}/reminders/<any(on, off):state>", "reminders", reminders,
                        methods=["POST"])  # fmt: skip
        bp.add_url_rule(f"{rule}/reminders-off", "unsubscribe", unsubscribe,
                        methods=["GET", "POST"])  # fmt: skip
