"""Rapid response fixtures: an organization with a dispatcher, responders built in bulk, the fake
Twilio server (texts and signed replies)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from coalition.extensions import db
from coalition.orgs.models import Membership, OrgRole
from coalition.rapid import operations as ops
from coalition.rapid.models import Responder
from tests.factories import OrganizationFactory, UserFactory
from tests.sms.conftest import app_overrides, provider, provider_server  # noqa: F401

NY = "America/New_York"


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="pvwc", name="Pioneer Valley Workers Center")


@pytest.fixture
def dispatcher(org):
    user = UserFactory(email="dispatch@example.org", name="Diana")
    db.session.add(Membership(user=user, org=org, role=OrgRole.member, is_dispatcher=True))
    db.session.commit()
    return user


def add_responder(org, *, phone=None, email=None, towns=("Springfield",), roles=("responder",),
                  languages=("en", "es"), always=True, hours=(), zone=NY, locale="es",
                  paused=False, name="Ana", use_sms=True, use_email=True) -> Responder:  # fmt: skip
    responder = Responder(org_id=org.id, manage_secret=secrets.token_urlsafe(24))
    ops._apply(
        responder,
        ops.ResponderInput(
            name=name, email=email, phone=phone, use_sms=use_sms, use_email=use_email,
            locale=locale, towns=list(towns), languages=list(languages), roles=list(roles),
            training="Rapid response 101", trained_on=None, is_always=always,
            weekly_hours=[list(h) for h in hours], zone=zone,
        ),
    )  # fmt: skip
    responder.is_paused = paused
    db.session.add(responder)
    db.session.flush()
    return responder


def phone(n: int) -> str:
    return f"+1617555{n:04d}"


def alert_input(**overrides) -> ops.AlertInput:
    from coalition.db import utcnow

    values = {
        "kind": "raid",
        "town": "Springfield",
        "place": "Main St & 5th, the bakery",
        "happens_at": utcnow(),
        "zone": NY,
        "needed": 5,
        "roles": [],
        "note": "Bring a phone to film",
        "language": "",
    }
    values.update(overrides)
    return ops.AlertInput(**values)


#: Monday 15 March 2027, 22:30 New York time (EDT): outside "Mon-Fri 8-18" hours.
LATE = datetime(2027, 3, 16, 2, 30, tzinfo=UTC)
DAYTIME = [[d, "08:00", "18:00"] for d in range(5)]


@pytest.fixture
def clock(monkeypatch):
    """The moment the dispatcher's pages read as "now"."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr("coalition.rapid.views.utcnow", lambda: moment)

    return set_to
