"""Make and follow short links. They live exactly as long as the long link they stand for:
the same secret, the same erasure (an erased or revoked RSVP or delegation kills both)."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from coalition.delegations.models import Delegation
from coalition.extensions import db
from coalition.rsvps.models import RSVP
from coalition.shortlinks.models import ShortLink
from coalition.urls import external_url

#: 12 random bytes: 96 bits, 16 characters.
TOKEN_BYTES = 12


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


def short_manage_url(rsvp: RSVP) -> str:
    """`BASE_URL/r/<token>` for this RSVP's private manage page."""
    db.session.flush()
    link = _link(rsvp_id=rsvp.id, secret=rsvp.manage_secret)
    return external_url("shortlinks.follow", token=link.token)


def short_lead_url(delegation: Delegation) -> str:
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
    if link.rsvp_id is not None:
        from coalition.rsvps.operations import manage_url

        rsvp = db.session.get(RSVP, link.rsvp_id)
        if rsvp is None or rsvp.erased_at is not None:
            return None
        if not secrets.compare_digest(_digest(rsvp.manage_secret), link.secret_digest):
            return None
        return manage_url(rsvp)
    if link.delegation_id is not None:
        from coalition.delegations.operations import lead_url

        delegation = db.session.get(Delegation, link.delegation_id)
        if delegation is None or delegation.erased_at is not None:
            return None
        if not secrets.compare_digest(_digest(delegation.manage_secret), link.secret_digest):
            return None
        return lead_url(delegation)
    if link.helper_id is not None:
        from coalition.volunteers.models import Helper
        from coalition.volunteers.operations import manage_url as helper_url

        helper = db.session.get(Helper, link.helper_id)
        if helper is None or helper.erased_at is not None:
            return None
        if not secrets.compare_digest(_digest(helper.manage_secret), link.secret_digest):
            return None
        return helper_url(helper)
    if link.answer_id is not None:
        from coalition.rapid.models import Answer

        answer = db.session.get(Answer, link.answer_id)
        if answer is None or not secrets.compare_digest(_digest(answer.secret), link.secret_digest):
            return None
        return external_url("rapid.answer", answer_id=answer.id, secret=answer.secret)
    return None
