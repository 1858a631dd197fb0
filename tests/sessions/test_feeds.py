"""A person's sessions in their own calendar (private feed and the emailed .ics), at the right
times across a DST change; the public feed carries only the agenda, in DESCRIPTION."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event, member_of
from tests.feeds.conftest import parse, vevents
from tests.feeds.readers import all_readers, shown
from tests.sessions.helpers import add_session

FAR = datetime(2032, 1, 1, tzinfo=UTC)


def _sessions_in(body: bytes) -> dict[str, datetime]:
    return {
        str(v["summary"]): v.decoded("dtstart").astimezone(UTC)
        for v in vevents(body)
        if str(v["uid"]).startswith("session-")
    }


def test_private_feed_carries_each_persons_sessions_across_dst(client, db):
    org = OrganizationFactory()
    ana = member_of(org, OrgRole.member, email="ana@example.org")
    # Thursdays 12:00–14:00 in New York: March 11 is still EST (UTC−5), March 18 is EDT (UTC−4).
    event = make_event(org, title="Dialogue", start_date=date(2027, 3, 11),
                       recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=2))  # fmt: skip
    before, after = event.occurrences
    winter = add_session(before, "Winter workshop", "12:30", "13:30", capacity=25, room="B12")
    spring = add_session(after, "Spring workshop", "12:30", "13:30", capacity=25)
    add_session(after, "Other workshop", "12:30", "13:30")  # not chosen: not in her calendar
    for occurrence, chosen in ((before, winter), (after, spring)):
        outcome = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
            name="Ana", email="ana@example.org", sessions=[chosen]), user=ana)  # fmt: skip
        rsvp_ops.link_to_account(outcome.rsvp, ana)
    db.session.commit()
    body = client.get(f"/feeds/{ana.feed_token}/my-events.ics").data
    sessions = _sessions_in(body)
    assert sessions == {
        "Winter workshop · Dialogue": datetime(2027, 3, 11, 17, 30, tzinfo=UTC),
        "Spring workshop · Dialogue": datetime(2027, 3, 18, 16, 30, tzinfo=UTC),
    }
    winter_event = next(
        v for v in vevents(body) if str(v["uid"]).startswith(f"session-{winter.id}@")
    )
    assert str(winter_event["location"]) == "B12"
    assert winter_event["dtstart"].params["TZID"] == "America/New_York"
    # Every reader (Python and JS) shows the sessions at the same instants.
    expected = {
        (f"session-{winter.id}", "2027-03-11T17:30:00+00:00"),
        (f"session-{spring.id}", "2027-03-18T16:30:00+00:00"),
    }
    for name, dates in all_readers(body, FAR).items():
        assert expected <= shown(dates), name
    # Changing her session changes her feed (the calendar version covers it).
    from coalition.sessions import operations as ops

    other = next(s for s in ops.sessions_of(after.id) if s.title == "Other workshop")
    rsvp = db.session.scalars(
        sa.select(rsvp_ops.RSVP).where(rsvp_ops.RSVP.occurrence_id == after.id)
    ).one()
    ops.choose(rsvp, [other])
    db.session.commit()
    changed = _sessions_in(client.get(f"/feeds/{ana.feed_token}/my-events.ics").data)
    assert "Other workshop · Dialogue" in changed and "Spring workshop · Dialogue" not in changed


def test_emailed_ics_has_the_sessions_and_the_public_feed_only_the_agenda(client, db):
    event = make_event(title="Quarterly dialogue")
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Taller en español", "12:15", "13:00", capacity=25,
                           room="Sala 2", languages=["es"], has_interpretation=True)  # fmt: skip
    add_session(occurrence, "Plenary", "13:00", "14:00")
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Lupe", email="lupe@example.org",
                                                   sessions=[workshop]))  # fmt: skip
    db.session.commit()
    mail = db.session.scalar(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "rsvp_confirmation")
    )
    ics = mail.attachments[0]["data"].encode()
    assert _sessions_in(ics) == {
        "Taller en español · Quarterly dialogue": datetime(2027, 5, 1, 16, 15, tzinfo=UTC)
    }
    public = client.get("/calendar.ics").data
    assert not [v for v in vevents(public) if str(v["uid"]).startswith("session-")]
    description = str(parse(public).walk("VEVENT")[0]["description"])
    assert "12:15–13:00 Taller en español · Sala 2 · es · interpretation" in description
    assert "13:00–14:00 Plenary" in description
    assert "Lupe" not in public.decode()


def test_a_series_date_with_sessions_carries_its_agenda_and_readers_agree(client, db):
    event = make_event(title="Dialogue", start_date=date(2027, 3, 4),
                       recurrence=RecurrenceSpec(frequency=Frequency.weekly, count=3))  # fmt: skip
    first, second, third = event.occurrences
    add_session(second, "Bilingual breakout", "12:30", "13:30", languages=["en", "es"])
    body = client.get("/calendar.ics").data
    dated = [v for v in vevents(body) if "RECURRENCE-ID" in v]
    assert len(dated) == 1
    assert dated[0].decoded("recurrence-id").astimezone(UTC) == second.start_at
    assert "12:30–13:30 Bilingual breakout · en, es" in str(dated[0]["description"])
    expected = {(f"event-{event.id}", o.start_at.isoformat()) for o in (first, second, third)}
    for name, dates in all_readers(body, FAR).items():
        assert shown(dates) == expected, name


def test_changing_or_deleting_a_session_refreshes_its_peoples_private_feeds(client, db):
    from coalition import calendar_version
    from coalition.sessions import operations as ops

    org = OrganizationFactory()
    ana = member_of(org, OrgRole.member, email="ana@example.org")
    bea = member_of(org, OrgRole.member, email="bea@example.org")
    event = make_event(org, title="Dialogue", start_date=date(2027, 3, 11))
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:30", "13:30", capacity=25)
    plenary = add_session(occurrence, "Plenary", "13:30", "14:00")
    for person, chosen in ((ana, workshop), (bea, plenary)):
        outcome = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
            name="X", email=person.email, sessions=[chosen]), user=person)  # fmt: skip
        rsvp_ops.link_to_account(outcome.rsvp, person)
    db.session.commit()
    url = f"/feeds/{ana.feed_token}/my-events.ics"
    first = client.get(url)
    assert "Workshop · Dialogue" in _sessions_in(first.data)
    ana_key, bea_key = calendar_version.user_key(ana.id), calendar_version.user_key(bea.id)
    versions = calendar_version.current(ana_key), calendar_version.current(bea_key)

    # A later time (12:45 EST = 17:45 UTC) reaches her feed.
    ops.update_session(workshop, ops.SessionInput(
        title="Workshop", start_at=datetime(2027, 3, 11, 17, 45, tzinfo=UTC),
        end_at=datetime(2027, 3, 11, 18, 30, tzinfo=UTC), capacity=25))  # fmt: skip
    db.session.commit()
    assert calendar_version.current(ana_key) != versions[0]
    assert calendar_version.current(bea_key) == versions[1]  # not her session
    moved = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200
    assert _sessions_in(moved.data) == {
        "Workshop · Dialogue": datetime(2027, 3, 11, 17, 45, tzinfo=UTC)
    }

    before = calendar_version.current(ana_key)
    ops.delete_session(workshop)
    db.session.commit()
    assert calendar_version.current(ana_key) != before
    gone = client.get(url, headers={"If-None-Match": moved.headers["ETag"]})
    assert gone.status_code == 200 and _sessions_in(gone.data) == {}


def test_a_promotion_reaches_the_promoted_persons_own_feed(client, db):
    from coalition import calendar_version
    from coalition.sessions import operations as ops

    org = OrganizationFactory()
    ana = member_of(org, OrgRole.member, email="ana@example.org")
    occurrence = make_event(org, title="Dialogue", start_date=date(2027, 3, 11)).occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:30", "13:30", capacity=1)
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Bea", email="bea@example.org",
                                                   sessions=[workshop]))  # fmt: skip
    outcome = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
        name="Ana", email=ana.email, sessions=[workshop]), user=ana)  # fmt: skip
    rsvp_ops.link_to_account(outcome.rsvp, ana)
    db.session.commit()
    url = f"/feeds/{ana.feed_token}/my-events.ics"
    waiting = client.get(url)
    assert b"STATUS:TENTATIVE" in waiting.data  # on the session's waitlist
    before = calendar_version.current(calendar_version.user_key(ana.id))
    workshop.capacity = 2
    ops.capacity_changed(workshop)
    db.session.commit()
    assert calendar_version.current(calendar_version.user_key(ana.id)) != before
    seated = client.get(url, headers={"If-None-Match": waiting.headers["ETag"]})
    assert seated.status_code == 200
    assert "Workshop · Dialogue" in _sessions_in(seated.data)
    assert b"STATUS:TENTATIVE" not in seated.data
