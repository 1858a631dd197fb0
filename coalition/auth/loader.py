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
        try:
            return db.session.get(User, int(user_id))
        except ValueError:
            return None
