"""factory_boy factories: build test data through the models, flushed in the test's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from coalition.auth.models import User
from coalition.extensions import db
from coalition.orgs.models import Membership, Organization, OrgRole, OrgStatus

PASSWORD = "correct horse battery"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    # A name no test writes into a record, so "is Carla on this page?" cannot come true by chance.
    name = factory.Sequence(lambda n: f"Member{n:04d}")
    language = "en"
    password_hash = factory.LazyFunction(lambda: "")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            db.session.commit()


class OrganizationFactory(BaseFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Workers Center {n}")
    slug = factory.Sequence(lambda n: f"workers-center-{n}")
    description = "We organize."
    city = "Boston"
    languages = factory.LazyFunction(lambda: ["en", "es"])
    status = OrgStatus.active


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    org = factory.SubFactory(OrganizationFactory)
    role = OrgRole.member


def member_of(org: Organization, role: OrgRole, **user_fields) -> User:
    """A new user holding `role` in `org`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, org=org, role=role)
    return user


# Events -------------------------------------------------------------------------------------

from datetime import date, time  # noqa: E402

from coalition.events import lifecycle as event_lifecycle  # noqa: E402
from coalition.events import operations as event_ops  # noqa: E402
from coalition.events.models import Event, EventStatus  # noqa: E402
from coalition.events.recurrence import RecurrenceSpec  # noqa: E402
from coalition.events.types import ensure_default_types  # noqa: E402


def event_input(**overrides) -> event_ops.EventInput:
    """A valid EventInput (a rally in Boston next year); override any field."""
    title = overrides.pop("title", "Rally for TPS")
    description = overrides.pop("description", "Bring signs. **Todos bienvenidos.**")
    values = {
        "type_slug": "rally",
        "primary_language": "en",
        "texts": {"en": (title, description)},
        "timezone": "America/New_York",
        "start_date": date(2027, 5, 1),
        "start_time": time(12, 0),
        "end_time": time(14, 0),
        "venue": "City Hall Plaza",
        "address": "1 City Hall Sq",
        "city": "Boston",
        "languages": ["en", "es"],
    }
    values.update(overrides)
    return event_ops.EventInput(**values)


def make_event(
    org: Organization | None = None,
    *,
    by: User | None = None,
    status: EventStatus = EventStatus.published,
    recurrence: RecurrenceSpec | None = None,
    **overrides,
) -> Event:
    """An event created and (by default) published through the operations, committed."""
    ensure_default_types()
    org = org or OrganizationFactory()
    by = by or member_of(org, OrgRole.organizer)
    if recurrence is not None:
        overrides["recurrence"] = recurrence
    event = event_ops.create_event(org, by, event_input(**overrides))
    if status != EventStatus.draft:
        event_lifecycle.publish(event, by)
    if status == EventStatus.cancelled:
        event_lifecycle.cancel_event(event, "Weather")
    db.session.commit()
    return event


def link_sent_to(recipient: str, path: str = "/rsvp/") -> str:
    """The private link (as a path) in the newest message queued to `recipient`: the only way
    a person without an account learns it."""
    import re

    import sqlalchemy as sa

    from coalition.extensions import db
    from coalition.mail.models import OutgoingEmail

    # Recipients are encrypted at rest (no SQL equality): pick the newest one in Python.
    body = next(
        (
            m.body_text
            for m in db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id.desc()))
            if m.recipient == recipient
        ),
        None,
    )
    assert body, f"no message to {recipient}"
    match = re.search(r"http://localhost(" + re.escape(path) + r"[^\s]+)", body)
    assert match, f"no {path} link in the message to {recipient}"
    return match.group(1)
