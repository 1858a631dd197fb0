"""Flask-Login wiring."""

from __future__ import annotations

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
            # With the account's memberships (a few rows): the two-step check of every request
            # and the member checks of many pages read them next (one statement, not two).
            user = db.session.get(User, int(uid), options=[joinedload(User.memberships)])
        except (ValueError, OverflowError):
            return None
        if user is None or str(user.session_version) != version:
            return None
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


#: Where a personal API token is accepted.
API_TOKEN_PATHS = ("/api/v1/reports/",)
