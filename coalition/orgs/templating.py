"""What templates get from organizations: role and status names (registered by the app
factory)."""

from __future__ import annotations

from flask import Flask

from coalition.orgs.labels import ROLE_NAMES, STATUS_NAMES


def init_templating(app: Flask) -> None:
    app.jinja_env.globals.update(role_names=ROLE_NAMES, status_names=STATUS_NAMES)
