"""An attacker with two filter combinations: every figure two nested reports both show must
differ by 0 or by at least the threshold, or the difference would be a handful of people (here:
one person at a workshop, one responder of another organization)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine

from coalition.dashboard.operations import toggle_check_in
from coalition.erasure import purge_expired
from coalition.events.models import EventType
from coalition.extensions import db
from coalition.orgs.models import Membership, OrgRole
from coalition.rapid import operations as rapid_ops
from coalition.reports.figures import NOT_PEOPLE
from coalition.rsvps import operations as rsvp_ops
from coalition.settings.operations import set_setting
from tests.factories import OrganizationFactory, UserFactory, make_event
from tests.rapid.conftest import add_responder, alert_input
from tests.reports.helpers import four_dialogues, hold_and_purge

LATER = datetime(2027, 6, 1, 12, tzinfo=UTC)
MINIMUM = 5


def _workshop(org):
    """Six people at a one-off workshop after the dialogues: one of them needs interpretation,
    one does not come."""
    event = make_event(org, title="Workshop", type_slug="training", start_date=date(2027, 3, 30))
    occurrence = event.occurrences[0]
    with time_machine.travel(occurrence.start_at - timedelta(days=3), tick=False):
        rsvps = [
            rsvp_ops.submit(
                occurrence,
                rsvp_ops.RSVPInput(name=f"W{n}", email=f"w{n}@example.org", language="es",
                                   needs_interpretation=n == 0),
                notify=False,
            ).rsvp
            for n in range(6)
        ]  # fmt: skip
        db.session.commit()
    with time_machine.travel(occurrence.start_at + timedelta(minutes=5), tick=False):
        for rsvp in rsvps[1:]:
            toggle_check_in(rsvp)
        db.session.commit()


def _numbers(report: dict) -> dict:
    """The figures about people a report shows as numbers (dates and delegations count no
    person)."""
    flat = {f"totals.{k}": v for k, v in report["totals"].items() if k not in NOT_PEOPLE}
    for name, values in report["breakdowns"].items():
        flat.update({f"{name}.{k}": v for k, v in values.items()})
    for row in report["rapid"]:
        for key in ("alerted", "went", "arrived"):
            flat[f"rapid.{row['month']}.{row['is_drill']}.{key}"] = row[key]
    return {k: v for k, v in flat.items() if isinstance(v, int)}


def _dispatcher(org, email):
    user = UserFactory(email=email)
    db.session.add(Membership(user=user, org=org, role=OrgRole.member, is_dispatcher=True))
    db.session.commit()
    return user


def _alert(org, by, *, responders: int, going: int, at: datetime) -> None:
    for n in range(responders):
        add_responder(org, email=f"{org.slug}-{n}@example.org", use_sms=False, name=f"R{n}")
    alert = rapid_ops.open_alert(org, by, alert_input(happens_at=at), at)
    for answer in alert.answers[:going]:
        rapid_ops.answer(answer, "going", eta_minutes=9, now=at + timedelta(minutes=3))
    rapid_ops.close_alert(alert, "", now=at + timedelta(hours=1))
    db.session.commit()


def test_no_two_nested_filter_combinations_subtract_down_to_a_few_people(client, db):
    org = OrganizationFactory()
    season = four_dialogues(org)
    hold_and_purge(season)
    dialogue = db.session.scalar(sa.select(EventType.id).where(EventType.slug == "dialogue"))
    _workshop(org)
    at = datetime(2027, 4, 6, 14, tzinfo=UTC)
    # The organization's alert that month: six responders, five went.
    _alert(org, _dispatcher(org, "d1@example.net"), responders=6, going=5, at=at)
    # Another organization's alert the same month: seven responders, one went.
    other = OrganizationFactory()
    _alert(other, _dispatcher(other, "d2@example.net"), responders=7, going=1, at=at)
    set_setting("rapid_purge_after_days", 30)
    db.session.commit()
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        purge_expired()
        rapid_ops.purge_alerts()
        db.session.commit()
        client.login(admin.email)

        def report(query: str) -> dict:
            response = client.get(f"/api/v1/reports/coalition{query}")
            assert response.status_code == 200
            return response.get_json()

        everything = report("")
        nested = [
            (everything, report("?to=2027-03-29")),  # minus the workshop's date
            (everything, report(f"?type={dialogue}")),  # minus the workshop's type
            (everything, report("?from=2027-03-30")),  # minus the dialogues
            (everything, report(f"?org={org.id}")),  # minus the other organization's alert
            (report("?from=2027-03-01&to=2027-03-31"), report("?from=2027-03-05&to=2027-03-31")),
        ]
    # The attack the guard stops: 25 needing interpretation over everything, 24 without the
    # workshop, would say that one person at the workshop needed it.
    assert everything["breakdowns"]["needs"]["interpretation"] == {"withheld": True}
    assert everything["rapid"][0]["went"] == {"withheld": True}
    for wide, narrow in nested:
        a, b = _numbers(wide), _numbers(narrow)
        for key in a.keys() & b.keys():
            gap = a[key] - b[key]
            assert not 0 < gap < MINIMUM, f"{key}: {a[key]} - {b[key]} singles out {gap}"
