"""Make and follow short links. They live exactly as long as the long link they stand for:
the same secret, the same erasure (an erased or revoked RSVP or delegation kills both)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from coalition.extensions import db
from coalition.shortlinks.models import ShortLink
from coalition.urls import external_url

#: 12 random bytes: 96 bits, 16 characters.
TOKEN_BYTES = 12


@dataclass(frozen=True)
class Target:
    """A kind of private page a short link can stand for, as its feature registers it."""

    #: The row the page belongs to (one with an `erased_at` is dead once erased).
    model: type
    #: Its long private link.
    url: Callable[[Any], str]
    #: The attribute holding the row's link secret.
    secret: str = "manage_secret"


#: {`ShortLink` column: its target}: filled by each feature at app creation (`register_target`),
#: so that short links know no feature.
_TARGETS: dict[str, Target] = {}


def register_target(column: str, model: type, url: Callable[[Any], str], **options) -> None:
    """Short links with `column` set stand for `url(row)` of `model` (idempotent)."""
    if column not in ShortLink.__table__.c:
        raise ValueError(f"short_links has no column {column!r}")
    _TARGETS[column] = Target(model, url, **options)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _link(**target) -> ShortLink:
    secret = target.pop("secret")
    digest = _digest(secret)
    column, value = next(iter(target.items()))
    existing = db.session.scalar(
        sa.select(ShortLink).where(
            getattr(ShortLink, column) == value, ShortLink.secret_digest == digest
        )
    )
    if existing is not None:
        return existing
    link = ShortLink(
        token=secrets.token_urlsafe(TOKEN_BYTES), secret_digest=digest, **{column: value}
    )
    db.session.add(link)
    return link


def short_manage_url(rsvp) -> str:
    """`BASE_URL/r/<token>` for this RSVP's private manage page."""
    db.session.flush()
    link = _link(rsvp_id=rsvp.id, secret=rsvp.manage_secret)
    return external_url("shortlinks.follow", token=link.token)


def short_lead_url(delegation) -> str:
    """`BASE_URL/r/<token>` for a delegation lead's private page."""
    db.session.flush()
    link = _link(delegation_id=delegation.id, secret=delegation.manage_secret)
    return external_url("shortlinks.follow", token=link.token)


def short_helper_url(helper) -> str:
    """`BASE_URL/r/<token>` for a helper's private page (`coalition.volunteers`)."""
    db.session.flush()
    link = _link(helper_id=helper.id, secret=helper.manage_secret)
    return external_url("shortlinks.follow", token=link.token)


def short_answer_url(answer, *, new: bool = False) -> str:
    """`BASE_URL/r/<token>` for a responder's answer page of one alert (`coalition/rapid/`).
    `new`: the answer was just made, so no link can exist yet (no look-up: an alert makes
    hundreds at once)."""
    if new:
        link = ShortLink(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            secret_digest=_digest(answer.secret),
            answer_id=answer.id,
        )
        db.session.add(link)
    else:
        link = _link(answer_id=answer.id, secret=answer.secret)
    return external_url("shortlinks.follow", token=link.token)


def resolve(token: str) -> str | None:
    """The long private link behind `token`, or None (unknown, revoked or erased)."""
    if not token or len(token) > 32:
        return None
    link = db.session.get(ShortLink, token)
    if link is None:
        return None
    for column, target in _TARGETS.items():
        target_id = getattr(link, column)
        if target_id is None:
            continue
        row = db.session.get(target.model, target_id)
        if row is None or getattr(row, "erased_at", None) is not None:
            return None
        secret = getattr(row, target.secret)
        if not secrets.compare_digest(_digest(secret), link.secret_digest):
            return None
        return target.url(row)
    return None
