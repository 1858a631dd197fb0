"""A short link names an RSVP's manage page or a delegation lead's page, never a URL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.db import UTCDateTime, owned_by, utcnow
from coalition.extensions import db


class ShortLink(db.Model):
    __tablename__ = "short_links"

    #: 16 URL-safe characters from 12 random bytes (96 bits).
    token: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    rsvp_id: Mapped[int | None] = owned_by("rsvps.id")
    delegation_id: Mapped[int | None] = owned_by("delegations.id")
    #: A helper's private page (`coalition.volunteers`).
    helper_id: Mapped[int | None] = owned_by("volunteer_helpers.id")
    #: A responder's answer page for one rapid-response alert (`coalition/rapid/`).
    answer_id: Mapped[int | None] = owned_by("rapid_answers.id")
    #: SHA-256 of the target's secret when the link was made: a revoked or erased secret (the
    #: long link's rule) kills the short link too, without storing the secret twice.
    secret_digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
