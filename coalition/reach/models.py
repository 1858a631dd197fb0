"""An event's picture (a flyer or a photo): re-encoded variants in the upload store."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db


class EventImage(db.Model):
    """One picture per event. `variants` lists [width, height, name] from the smallest up; each
    name is content-hashed (a new picture gets new names, so files are cached forever)."""

    __tablename__ = "event_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    alt_text: Mapped[str] = mapped_column(sa.String(300))
    variants: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def largest(self) -> list:
        return self.variants[-1]

    def variant_for(self, width: int) -> list:
        """The smallest variant at least `width` wide (else the largest)."""
        for variant in self.variants:
            if variant[0] >= width:
                return variant
        return self.largest

    @property
    def names(self) -> list[str]:
        return [variant[2] for variant in self.variants]
