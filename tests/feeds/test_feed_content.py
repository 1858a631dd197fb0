"""What the feeds contain: RFC 5545 / RFC 7986 properties, privacy, languages."""

from datetime import date, time

from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as ops
from coalition.events.models import EventStatus, EventVisibility, LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from tests.factories import OrganizationFactory, event_input, make_event
from tests.feeds.conftest import parse, vevents

SECRET_PLACE = "Basement door behind the laundromat 4471"


def test_public_feed_headers_and_calendar_properties(client, db):
    make_event(OrganizationFactory(contact_email="info@valley.example"), title="Rally for TPS")
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse(response.data)
    for name in ("PRODID", "VERSION", "X-WR-CALNAME", "NAME", "X-WR-CALDESC", "REFRESH-INTERVAL",
                 "X-PUBLISHED-TTL", "X-WR-TIMEZONE"):  # fmt: skip
        assert name in calendar, name
    assert calendar["VERSION"] == "2.0"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    (vevent,) = vevents(response.data)
    for name in ("UID", "DTSTAMP", "SEQUENCE", "LAST-MODIFIED", "SUMMARY", "DESCRIPTION", "URL",
                 "ORGANIZER", "CATEGORIES", "LOCATION", "STATUS"):  # fmt: skip
        assert name in vevent, name
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert str(vevent["SUMMARY"]) == "Rally for TPS"
    assert vevent["STATUS"] == "CONFIRMED"


def test_a_series_is_one_vevent_with_rrule_exdate_and_an_override(client, db):
    event = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        start_date=date(2027, 3, 4),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    occurrence_ops.cancel_occurrence(event.occurrences[1], "Snow storm")
    occurrence_ops.override_occurrence(
        event.occurrences[2],
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 3, 18),
            start_time=time(18, 0),
            end_time=time(19, 0),
            venue="Church hall",
        ),
    )
    db.session.commit()
    components = vevents(client.get("/calendar.ics").data)
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    overrides = [c for c in components if "RECURRENCE-ID" in c]
    assert len(masters) == 1
    # Ended at its last materialized date (March 25, 19:00 EDT = 23:00 UTC).
    assert masters[0]["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20270325T230000Z;BYDAY=TH"
    exdates = [d.dt for d in masters[0]["EXDATE"].dts]
    assert [(d.month, d.day, d.hour) for d in exdates] == [(3, 11, 19)]
    # The cancelled date is an EXDATE only; the moved date is the one override.
    (moved,) = overrides
    assert moved["STATUS"] == "CONFIRMED"
    assert moved["RECURRENCE-ID"].dt.hour == 19
    assert moved["DTSTART"].dt.hour == 18
    assert "Church hall" in moved["LOCATION"]
    assert {c["UID"] for c in components} == {masters[0]["UID"]}


def test_uid_is_stable_and_sequence_rises_on_a_change(client, db):
    event = make_event()
    first = vevents(client.get("/calendar.ics").data)[0]
    ops.update_event(event, event_input(start_time=time(13, 0), end_time=time(15, 0)))
    db.session.commit()
    second = vevents(client.get("/calendar.ics").data)[0]
    assert first["UID"] == second["UID"]
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second["DTSTART"].dt.hour == 13


def test_cancelled_event_stays_in_the_feed_marked_cancelled(client, db):
    make_event(status=EventStatus.cancelled)
    (vevent,) = vevents(client.get("/calendar.ics").data)
    assert vevent["STATUS"] == "CANCELLED"


def test_never_in_a_public_feed(client, db):
    org = OrganizationFactory()
    make_event(org, title="Members meeting", visibility=EventVisibility.members)
    make_event(org, title="Unlisted thing", visibility=EventVisibility.unlisted)
    make_event(org, title="Draft thing", status=EventStatus.draft)
    make_event(
        org,
        title="Court date",
        location_visibility=LocationVisibility.attendees,
        venue=SECRET_PLACE,
        address=SECRET_PLACE,
    )
    make_event(
        org,
        title="Later place",
        location_visibility=LocationVisibility.hidden_until,
        location_reveal_hours=2,
        venue=SECRET_PLACE,
    )
    for url in ("/calendar.ics", f"/orgs/{org.slug}/calendar.ics"):
        body = client.get(url).get_data(as_text=True)
        assert "Members meeting" not in body
        assert "Unlisted thing" not in body
        assert "Draft thing" not in body
        assert "Court date" in body and "Later place" in body
        assert SECRET_PLACE not in body
        assert "laundromat" not in body


def test_summary_in_the_feed_language_and_bilingual_events_in_both(client, db):
    texts = {"en": ("March", "English text"), "es": ("Marcha", "Texto")}
    make_event(texts=texts)
    make_event(title="Vigil", texts={"en": ("Vigil", ""), "es": ("Vigilia", "")},
               is_bilingual=True, start_date=date(2027, 6, 1))  # fmt: skip
    summaries = sorted(str(v["SUMMARY"]) for v in vevents(client.get("/calendar.ics?lang=es").data))
    assert summaries == ["Marcha", "Vigilia / Vigil"]
    summaries = sorted(str(v["SUMMARY"]) for v in vevents(client.get("/calendar.ics").data))
    assert summaries == ["March", "Vigil / Vigilia"]


def test_org_feed_has_hosted_and_cosponsored_events_and_the_org_color(client, db):
    host, partner, other = (
        OrganizationFactory(),
        OrganizationFactory(color="#b03a2e"),
        OrganizationFactory(),
    )
    cosponsored = make_event(host, title="Co-sponsored march")
    invitation = event_lifecycle.invite_cosponsor(cosponsored, partner)
    event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
    make_event(partner, title="Own vigil")
    make_event(other, title="Someone else's")
    db.session.commit()
    calendar = parse(client.get(f"/orgs/{partner.slug}/calendar.ics").data)
    assert sorted(str(v["SUMMARY"]) for v in calendar.walk("VEVENT")) == [
        "Co-sponsored march",
        "Own vigil",
    ]
    assert calendar["COLOR"] == "brown"  # the CSS3 name nearest to #b03a2e
    assert partner.name in str(calendar["X-WR-CALNAME"])


def test_event_feed_and_occurrence_feed(client, db):
    event = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=3),
        start_date=date(2027, 3, 4),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    body = client.get(f"/events/{event.id}.ics").data
    assert len(vevents(body)) == 1
    occurrence = event.occurrences[1]
    (single,) = vevents(client.get(f"/events/{event.id}/occurrences/{occurrence.id}.ics").data)
    assert "RRULE" not in single
    assert single["DTSTART"].dt.day == 11
    assert client.get(f"/events/{event.id}/occurrences/999999.ics").status_code == 404


def test_event_feed_of_a_draft_is_not_public(client, db):
    event = make_event(status=EventStatus.draft)
    assert client.get(f"/events/{event.id}.ics").status_code == 404
