"""Responses for pages whose URL or content is private (manage links, rosters, attendee lists)."""

from __future__ import annotations

from flask import make_response, render_template

#: Not cached anywhere, and the secret URL is not sent on as a Referer.
PRIVATE_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def private(response):
    """`response` (anything a view may return) with the private headers."""
    response = make_response(response)
    response.headers.update(PRIVATE_HEADERS)
    return response


def invalid_link():
    """A tampered, revoked or erased private link: 404, as if it had never existed."""
    return private((render_template("auth/token_error.html", reason="invalid"), 404))
