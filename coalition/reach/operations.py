"""Changes to an event's picture (flush, never commit). The files are written to the upload
store first; the old picture's files are removed by the caller once the change is committed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coalition.events.models import Event
from coalition.extensions import db
from coalition.reach.images import process
from coalition.reach.models import EventImage
from coalition.reach.storage import get_storage


def image_of(event_id: int) -> EventImage | None:
    return db.session.scalar(sa.select(EventImage).where(EventImage.event_id == event_id))


def set_image(event: Event, data: bytes, alt_text: str) -> list[str]:
    """Store a new picture for `event` (ImageError when it is refused). Returns the names of the
    files it replaces, to delete after the commit."""
    variants = process(data)
    storage = get_storage()
    stored = []
    for variant in variants:
        name = variant.name(event.id)
        storage.put(name, variant.data, "image/jpeg")
        stored.append([variant.width, variant.height, name])
    image = image_of(event.id)
    old = image.names if image is not None else []
    if image is None:
        image = EventImage(event_id=event.id)
        db.session.add(image)
    image.alt_text = alt_text.strip()
    image.variants = stored
    db.session.flush()
    return [name for name in old if name not in image.names]


def set_alt_text(event: Event, alt_text: str) -> None:
    image = image_of(event.id)
    if image is not None:
        image.alt_text = alt_text.strip()
        db.session.flush()


def remove_image(event: Event) -> list[str]:
    """Remove the picture; returns its file names, to delete after the commit."""
    image = image_of(event.id)
    if image is None:
        return []
    names = image.names
    db.session.delete(image)
    db.session.flush()
    return names


def delete_files(names: list[str]) -> None:
    storage = get_storage()
    for name in names:
        storage.delete(name)


_AFTER_COMMIT = "reach_files_to_delete"


def delete_files_after_commit(names: list[str]) -> None:
    """Delete these files once the session's transaction commits (never if it rolls back: the
    row that names them would still be there)."""
    if names:
        db.session.info.setdefault(_AFTER_COMMIT, []).extend(names)


@sa.event.listens_for(Session, "after_commit")
def _delete_committed(session: Session) -> None:
    names = session.info.pop(_AFTER_COMMIT, None)
    if names:
        delete_files(names)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous) -> None:
    session.info.pop(_AFTER_COMMIT, None)
