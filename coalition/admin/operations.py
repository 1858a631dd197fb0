"""Coalition-wide account administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from coalition.auth.models import User


class AdminError(Exception):
    pass


def set_disabled(user: User, disabled: bool, *, acting: User) -> None:
    if user.id == acting.id:
        raise AdminError(_l("You cannot disable your own account."))
    user.is_disabled = disabled


def set_admin(user: User, is_admin: bool, *, acting: User) -> None:
    if user.id == acting.id and not is_admin:
        raise AdminError(_l("You cannot remove your own admin rights."))
    user.is_admin = is_admin
