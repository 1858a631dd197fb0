"""`GET /r/<token>`: follow a short link to the private page it stands for."""

from __future__ import annotations

from flask import Blueprint, redirect

from coalition.access import access, public
from coalition.core.responses import invalid_link, private
from coalition.shortlinks.operations import resolve

bp = Blueprint("shortlinks", __name__)


@bp.route("/r/<token>")
@access(public)  # the token is the key
def follow(token: str):
    """Redirect to the long private link; nothing changes on a GET (link previewers follow)."""
    target = resolve(token)
    if target is None:
        return invalid_link()
    return private(redirect(target, code=302))
