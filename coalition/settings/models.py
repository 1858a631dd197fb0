"""Key/value settings of the coalition."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coalition.db import UTCDateTime, utcnow
from coalition.extensions import db


class Setting(db.Model):
    __tablename__ = "settings"

    #: e.g. "events_require_approval"; see `coalition.settings.operations.DEFAULTS`.
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
