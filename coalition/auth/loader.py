"""Flask-Login wiring."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

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
            user = db.session.get(User, int(uid))
        except (ValueError, OverflowError):
            return None
        if user is None or str(user.session_version) != version:
            return None
        return user
