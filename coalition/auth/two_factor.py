"""Two-factor sign-in: TOTP (RFC 6238, any authenticator app) and one-time recovery codes.

Required (when REQUIRE_TWO_FACTOR) for accounts that can see attendee data: coalition admins and
the organizers and owners of any organization. Functions flush; the view commits.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from coalition.auth.models import AccountEvent, RecoveryCode, User
from coalition.db import utcnow
from coalition.extensions import db

RECOVERY_CODE_COUNT = 10
#: Recovery codes are shown as xxxx-xxxx-xxxx from this alphabet (60 bits of randomness).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 12
#: Codes from the step before and after are accepted too (clocks drift).
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["COALITION_NAME"]
    )


def qr_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code in an SVG data: URI (drawn here, no outside service)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code is `code`, within the window, or None."""
    totp = pyotp.TOTP(secret)
    now = int(at if at is not None else time.time())
    step = now // totp.interval
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        candidate = step + offset
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def check_setup_code(secret: str, code: str) -> bool:
    return _matching_step(secret, _clean(code)) is not None


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def enable(user: User, secret: str) -> list[str]:
    """Turn two-factor on with a confirmed secret; returns the ten recovery codes (shown once)."""
    user.totp_secret = secret
    user.totp_last_step = None
    return regenerate_recovery_codes(user)


def regenerate_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify(user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then spent)."""
    if not user.has_two_factor:
        return False
    cleaned = _clean(code)
    if cleaned.isdigit() and len(cleaned) == 6:
        step = _matching_step(user.totp_secret, cleaned)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return False
        user.totp_last_step = step
        return True
    recovery = db.session.scalar(
        sa.select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    return True


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def admin_reset(user: User, *, by: User) -> None:
    """An admin clears someone's second factor (a lost phone): audited, and every session of
    that account ends, so the next sign-in sets a new one up."""
    disable(user)
    user.end_sessions()
    db.session.add(AccountEvent(user_id=user.id, actor_id=by.id, action="two_factor_reset"))
    db.session.flush()


def is_required(user: User) -> bool:
    """Two-factor is mandatory for this account (it may not be turned off)."""
    return bool(current_app.config.get("REQUIRE_TWO_FACTOR")) and user.sees_attendee_data


def setup_required(user: User) -> bool:
    """The person must set up a second factor before reaching anything else."""
    return not user.has_two_factor and is_required(user)
