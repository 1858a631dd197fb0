"""An organizer's or an admin's button: a `POST` whose form must be valid (else 400), then one
operation; a refusal is rolled back and shown (409, with a link back); else commit, say so and
go on. The events' organizer and admin pages share it."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask_babel import gettext as _

from coalition.core.errors import action_refused
from coalition.core.forms import EmptyForm
from coalition.extensions import db

#: A flash message, or a function of the operation's result giving (message, category).
Message = str | Callable[[object], tuple[str, str]]


def button_post(
    action: Callable[[], object],
    message: Message,
    back: str,
    *,
    refused: type[Exception] | tuple[type[Exception], ...] = (),
    form=None,
    invalid: str | None = None,
    then: str | Callable[[object], str] | None = None,
):
    """Check `form` (an `EmptyForm` by default; when invalid: 400 with `invalid`, else "the form
    has expired"), run `action()`; an exception of the `refused` type (one with `.message`) is
    rolled back and answered 409 with a link to `back`. Else commit, flash `message` and
    redirect to `then` (or `then(result)`; default `back`)."""
    form = EmptyForm() if form is None else form
    if not form.validate_on_submit():
        if invalid is None:
            return action_refused(_("The form has expired. Reload the page and try again."), 400)
        return action_refused(invalid, 400, back=back)
    try:
        result = action()
    except refused as exc:
        db.session.rollback()
        return action_refused(str(exc.message), 409, back=back)
    db.session.commit()
    flash(*(message(result) if callable(message) else (message, "success")))
    if callable(then):
        then = then(result)
    return redirect(then or back)
