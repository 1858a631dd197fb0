"""Private feed links."""

from __future__ import annotations

import secrets

from coalition.auth.models import User


def reset_feed_token(user: User) -> str:
    user.feed_token = secrets.token_urlsafe(32)
    return user.feed_token
