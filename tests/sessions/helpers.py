"""Sessions for tests: times given in the event's zone."""

from datetime import datetime

from coalition.extensions import db
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import operations as ops


def add_session(occurrence, title, start, end, *, capacity=None, day=None, **fields):
    """A session from `start` to `end` ("HH:MM", in the event's zone) on the occurrence's day."""
    zone = occurrence.event.zone
    day = day or occurrence.start_at.astimezone(zone).date()

    def at(clock: str) -> datetime:
        hour, minute = (int(x) for x in clock.split(":"))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)

    session = ops.create_session(
        occurrence,
        ops.SessionInput(title=title, start_at=at(start), end_at=at(end), capacity=capacity,
                         **fields),
    )  # fmt: skip
    db.session.commit()
    return session


def rsvp(occurrence, n: int = 0, *, sessions=(), party_size=1, email=None):
    outcome = rsvp_ops.submit(
        occurrence,
        rsvp_ops.RSVPInput(name=f"P{n}", email=email or f"p{n}@example.org",
                           party_size=party_size, sessions=list(sessions)),
        notify=False,
    )  # fmt: skip
    db.session.commit()
    return outcome.rsvp
