"""Where a feed can be added: each calendar app's own subscribe link, built from the feed's
address (plain URLs, no JavaScript). Apple and desktop apps take `webcal://`; Google takes it as
`cid`; Outlook.com and Office 365 subscribe through their "add from web" pages, which take the
https address and a name."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_babel import gettext as _

#: Outlook's "add calendar from the web" pages: personal accounts, and work or school ones.
OUTLOOK_COM = "https://outlook.live.com/calendar/0/addfromweb"
OFFICE_365 = "https://outlook.office.com/calendar/0/addfromweb"
GOOGLE = "https://calendar.google.com/calendar/render"


@dataclass(frozen=True)
class SubscribeLink:
    #: "google", "apple", "outlook", "office365", "download".
    kind: str
    label: str
    href: str
    #: Opens another site (a new tab); the others are handed to the device's calendar app.
    external: bool


def webcal(feed_url: str) -> str:
    """The feed's address with the scheme calendar apps open as a subscription."""
    scheme, _sep, rest = feed_url.partition("://")
    return f"webcal://{rest}" if scheme in ("http", "https") else feed_url


def subscribe_links(feed_url: str, name: str) -> list[SubscribeLink]:
    """Every way to add the feed at `feed_url` (absolute), named `name` where the app asks."""
    outlook_query = urlencode({"url": feed_url, "name": name}, quote_via=quote)
    return [
        SubscribeLink("google", _("Google Calendar"),
                      f"{GOOGLE}?{urlencode({'cid': webcal(feed_url)}, quote_via=quote)}",
                      True),
        SubscribeLink("apple", _("Apple Calendar (iPhone, Mac)"), webcal(feed_url), False),
        SubscribeLink("outlook", _("Outlook.com"), f"{OUTLOOK_COM}?{outlook_query}", True),
        SubscribeLink("office365", _("Office 365 (work or school Outlook)"),
                      f"{OFFICE_365}?{outlook_query}", True),
        SubscribeLink("download", _("Download (.ics)"), feed_url, False),
    ]  # fmt: skip
