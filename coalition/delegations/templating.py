"""What templates get from delegations: a date's public summary (registered by the app
factory)."""

from __future__ import annotations

from flask import Flask

from coalition.delegations.operations import public_summary


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["delegation_summary"] = public_summary
