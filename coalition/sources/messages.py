"""What went wrong with a source, kept as a key and its parameters and put into words when
someone reads it: the worker has no reader, so it must not render the message itself (an
organizer reading in es, ht or pt would see the English of poll time).

`ERRORS` maps each key the fetcher and the poll write to the words shown, in the reader's
language; `render` is called in a request (or under `force_locale`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import LazyString, ngettext
from flask_babel import gettext as _

#: Key -> the message in the current language, given the stored parameters.
ERRORS: dict[str, Callable[[Mapping], str]] = {
    "invalid_address": lambda p: _("The address is not a valid web address."),
    "not_http": lambda p: _("Only web addresses starting with http:// or https:// can be read."),
    "credentials": lambda p: _("Give the address without a user name or password."),
    "no_such_host": lambda p: _("The server's name could not be found."),
    "private_address": lambda p: _(
        "This address points inside a private network; only public addresses are read."
    ),
    "too_slow": lambda p: _("The server took too long to answer."),
    "bad_certificate": lambda p: _("The server's secure connection could not be checked."),
    "unreachable": lambda p: _("The server could not be reached."),
    "redirect_without_address": lambda p: _("The server sent a redirect without an address."),
    "not_public": lambda p: _("The calendar is not public (the server asks for a password)."),
    "no_calendar": lambda p: _("The server says there is no calendar at this address."),
    "http_error": lambda p: _(
        "The server answered with an error (%(status)s).", status=p["status"]
    ),
    "too_many_redirects": lambda p: _("The server redirected too many times."),
    "too_big": lambda p: _(
        "The calendar is larger than %(size)s MB, more than we read.", size=p["size"]
    ),
    "slow_body": lambda p: _("The server took too long to send the calendar."),
    "broken_connection": lambda p: _("The connection broke while reading the calendar."),
    "not_ics": lambda p: _("What the address gives is not a calendar (an .ics file)."),
    "emptied": lambda p: _("The calendar came back empty; nothing was cancelled here."),
    "left_out": lambda p: ngettext(
        "%(num)d event could not be read and was left out.",
        "%(num)d events could not be read and were left out.",
        p["num"],
    ),
    "unexpected": lambda p: _("Something in this calendar could not be imported."),
}


def render(code: str, params: Mapping | None = None) -> str:
    """The message for `code` in the current language."""
    return ERRORS[code](params or {})


def lazy(code: str, params: Mapping | None = None) -> LazyString:
    """The same, put into words only when shown (for exceptions raised in a request)."""
    return LazyString(render, code, dict(params or {}))
