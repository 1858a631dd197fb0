"""Flask-Login wiring."""

from __future__ import annotations

import functools
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from coalition.extensions import db, login_manager


def init_login(app: Flask) -> None:
    from coalition.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The user behind a session or remember-me cookie whose session version is current."""
        uid, _sep, version = user_id.partition(":")
        try:
            number = int(uid)
        except ValueError:
            return None
        if not 0 < number < 2**31:  # an INTEGER key; never sent to the database
            return None
        row = (
            db.session.execute(_signed_in_user(User, tuple(_FLAGS)), {"user_id": number})
            .unique()
            .first()
        )
        if row is None or str(row[0].session_version) != version:
            return None
        user = row[0]
        user.loaded_flags = dict(zip(_FLAGS, row[1:], strict=True))
        return user

    @login_manager.request_loader
    def load_user_from_token(_request) -> User | None:
        """A coalition admin's personal API token (`Authorization: Bearer coal_...`): read
        only for the reports API, GET only; anywhere else a token is not looked at."""
        if request.method != "GET" or not request.path.startswith(API_TOKEN_PATHS):
            return None
        scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        from coalition.auth.operations import user_for_api_token

        user = user_for_api_token(secret.strip())
        if user is not None:
            db.session.commit()  # its last use
        return user


#: What other features ask of every signed-in person on every page (the header's "Rapid
#: response" link...), read in the user's own statement: name -> a function of the users.id
#: column giving a boolean SQL expression. Registered by the app factory (`add_user_flag`);
#: the values are kept on `user.loaded_flags` for the request.
_FLAGS: dict[str, Callable] = {}


def add_user_flag(name: str, clause: Callable) -> None:
    _FLAGS[name] = clause
    _signed_in_user.cache_clear()


@functools.cache
def _signed_in_user(user_class, flags: tuple[str, ...] = ()) -> sa.Select:
    """The user with their memberships and those organizations, and the registered flags, in
    one statement: what every page of a signed-in person asks next (the header, two-factor,
    members-only events, an organization's pages; `Organization.role_of` uses these
    memberships when they are loaded)."""
    memberships = user_class.memberships
    # The organization by the relationship's own mapper: orgs is a sibling layer of auth.
    org = sa.inspect(user_class).relationships["memberships"].mapper.class_.org
    return (
        sa.select(user_class, *(_FLAGS[name](user_class.id).label(name) for name in flags))
        .where(user_class.id == sa.bindparam("user_id"))
        .options(joinedload(memberships).joinedload(org))
    )


#: Where a personal API token is accepted.
API_TOKEN_PATHS = ("/api/v1/reports/",)
