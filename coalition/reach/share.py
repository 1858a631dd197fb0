"""Share links that work without JavaScript: plain URLs of WhatsApp, text messages, email and
Facebook (`static/enhance.js` adds the phone's own share sheet and a copy button)."""

from __future__ import annotations

from urllib.parse import quote

from flask_babel import gettext as _


def _q(value: str) -> str:
    return quote(value, safe="/")


def share_links(url: str, title: str) -> list[dict]:
    message = f"{title} {url}"
    return [
        {
            "kind": "whatsapp",
            "label": _("WhatsApp"),
            "href": "https://wa.me/?text=" + _q(message),
            "external": True,
        },
        {
            "kind": "sms",
            "label": _("Text message"),
            # "?&body=" is understood by both iOS and Android.
            "href": "sms:?&body=" + _q(message),
            "external": False,
        },
        {
            "kind": "email",
            "label": _("Email"),
            "href": f"mailto:?subject={_q(title)}&body={_q(url)}",
            "external": False,
        },
        {
            "kind": "facebook",
            "label": _("Facebook"),
            "href": "https://www.facebook.com/sharer/sharer.php?u=" + _q(url),
            "external": True,
        },
    ]
