"""Feeds agree with the site, and five readers agree with the feeds (issue #12, findings 1-9)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from urllib.parse import unquote

import pytest

from coalition.db import utcnow
from coalition.events import occurrences as occurrence_ops
from coalition.events import operations as ops
from coalition.events.models import EventVisibility
from coalition.events.recurrence import HORIZON, Frequency, RecurrenceSpec
from coalition.feeds import cache
from coalition.mail.models import OutgoingEmail
from coalition.orgs import operations as org_ops
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event, member_of
from tests.feeds.conftest import parse, vevents
from tests.feeds.readers import READERS, all_readers, shown

FAR = datetime(2032, 1, 1, tzinfo=UTC)


def _site_dates(*events) -> set[tuple[str, str]]:
    """What the site shows as happening: every occurrence row that is not cancelled."""
    return {
        (f"event-{e.id}", o.start_at.astimezone(UTC).isoformat())
        for e in events
        for o in e.occurrences
        if not o.is_cancelled
    }


def _assert_every_reader_shows(body: bytes, expected: set) -> None:
    for name, dates in all_readers(body, FAR).items():
        assert shown(dates) == expected, name


# 1. X-PUBLISHED-TTL --------------------------------------------------------------------------


def test_published_ttl_is_an_icalendar_duration(client, db):
    make_event()
    body = client.get("/calendar.ics").data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body


# 2. Long series ------------------------------------------------------------------------------


def test_a_bounded_series_beyond_the_horizon_has_every_date_on_site_and_in_every_reader(client, db):
    start = (utcnow() + timedelta(days=30)).date()
    dialogue = make_event(
        title="Movement building dialogue",
        recurrence=RecurrenceSpec(Frequency.quarterly_date, count=8),
        start_date=start,
        start_time=time(18, 0),
        end_time=time(20, 0),
    )
    assert len(dialogue.occurrences) == 8  # two years: past the 400-day horizon
    assert dialogue.occurrences[-1].start_at > utcnow() + HORIZON
    assert (
        client.get(f"/events/{dialogue.id}/occurrences/{dialogue.occurrences[7].id}").status_code
        == 200
    )
    _assert_every_reader_shows(client.get("/calendar.ics").data, _site_dates(dialogue))


def test_an_open_ended_series_is_published_up_to_its_last_materialized_date(client, db):
    weekly = make_event(
        title="Hotline volunteers",
        recurrence=RecurrenceSpec(Frequency.weekly, open_ended=True),
        start_date=(utcnow() + timedelta(days=3)).date(),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    body = client.get("/calendar.ics").data
    (master,) = vevents(body)
    assert "UNTIL" in master["RRULE"]
    _assert_every_reader_shows(body, _site_dates(weekly))


def test_the_series_job_completes_a_bounded_series_saved_with_horizon_rows(client, db):
    start = (utcnow() + timedelta(days=30)).date()
    dialogue = make_event(
        recurrence=RecurrenceSpec(Frequency.quarterly_weekday, count=8), start_date=start
    )
    # As saved before bounded series were materialized completely: only the dates in 400 days.
    for occurrence in [o for o in dialogue.occurrences if o.start_at > utcnow() + HORIZON]:
        dialogue.occurrences.remove(occurrence)
    db.session.commit()
    assert len(dialogue.occurrences) < 8
    assert ops.extend_series() == 1
    db.session.commit()
    assert len(dialogue.occurrences) == 8
    _assert_every_reader_shows(client.get("/calendar.ics").data, _site_dates(dialogue))


# 3. Email attachments ------------------------------------------------------------------------


def test_ics_attached_to_an_email_is_utf8_and_says_so(client, db, smtp):
    from coalition.mail.delivery import deliver_due

    event = make_event(texts={"en": ("Meeting", ""), "es": ("Reunión de comité", "")})
    data = rsvp_ops.RSVPInput(name="Ana", email="ana@example.org", language="es")
    rsvp_ops.submit(event.occurrences[0], data)
    db.session.commit()
    deliver_due()
    (message,) = [m for rcpt, m in smtp.messages if rcpt == ["ana@example.org"]]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_charset() == "utf-8"
    payload = attachment.get_payload(decode=True)
    assert "SUMMARY:Reunión de comité".encode() in payload
    assert b"\\xf3" not in payload and b"Reuni\\" not in payload
    over_http = client.get(f"/events/{event.id}/occurrences/{event.occurrences[0].id}.ics?lang=es")
    assert "Reunión de comité".encode() in over_http.data


# 4. Private feeds stay fresh -----------------------------------------------------------------


def test_my_events_changes_with_a_new_rsvp(client, db):
    org = OrganizationFactory()
    person = member_of(org, OrgRole.member, email="ana@example.org")
    make_event(org, title="First action")
    second = make_event(org, title="Second action", start_date=date(2027, 6, 1))
    url = f"/feeds/{person.feed_token}/my-events.ics"
    first = client.get(url)
    assert b"Second action" not in first.data
    data = rsvp_ops.RSVPInput(name="Ana", email="ana@example.org")
    outcome = rsvp_ops.submit(second.occurrences[0], data, user=person, notify=False)
    rsvp_ops.link_to_account(outcome.rsvp, person)
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Second action" in again.data


def test_removed_member_loses_members_only_events_at_once(client, db):
    org = OrganizationFactory()
    member_of(org, OrgRole.owner)
    person = member_of(org, OrgRole.member)
    make_event(org, title="Members strategy meeting", visibility=EventVisibility.members)
    url = f"/feeds/{person.feed_token}/calendar.ics"
    first = client.get(url)
    assert b"Members strategy meeting" in first.data
    membership = next(m for m in org.memberships if m.user_id == person.id)
    org_ops.remove_member(membership)
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Members strategy meeting" not in again.data


# 5. Language ---------------------------------------------------------------------------------


def test_feed_language_comes_from_the_url_not_the_first_visitor(client, db):
    make_event(texts={"en": ("March", ""), "es": ("Marcha", "")})
    spanish_visitor = client.get("/calendar.ics", headers={"Accept-Language": "es"})
    english_visitor = client.get("/calendar.ics", headers={"Accept-Language": "en"})
    assert spanish_visitor.data == english_visitor.data
    assert spanish_visitor.headers["ETag"] == english_visitor.headers["ETag"]
    assert "Accept-Language" not in spanish_visitor.headers.get("Vary", "")
    assert b"Actions and events of" in english_visitor.data
    spanish = client.get("/calendar.ics?lang=es")
    assert b"SUMMARY:Marcha" in spanish.data and b"Acciones y eventos" in spanish.data
    assert spanish.headers["ETag"] != english_visitor.headers["ETag"]


def test_same_data_gives_the_same_bytes_and_etag_after_a_restart(client, db):
    make_event()
    first = client.get("/calendar.ics")
    cache.clear()  # what a restart does to a per-process cache
    second = client.get("/calendar.ics")
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.data == first.data
    # DTSTAMP is the event's last change, not the moment of the build.
    (vevent,) = vevents(second.data)
    assert vevent["DTSTAMP"].dt == vevent["LAST-MODIFIED"].dt


# 6. Cache busting, from/to, city ----------------------------------------------------------------


def test_unknown_parameters_do_not_make_a_new_feed(client, db):
    make_event()
    plain = client.get("/calendar.ics")
    for query in ("x=1", "utm_source=mail&nocache=42"):
        busted = client.get(
            f"/calendar.ics?{query}", headers={"If-None-Match": plain.headers["ETag"]}
        )
        assert busted.status_code == 304, query


def test_from_and_to_keep_only_those_dates_like_the_site(client, db):
    weekly = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=6),
        start_date=date(2027, 3, 4),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    body = client.get("/calendar.ics?from=2027-03-10&to=2027-03-26").data
    expected = {
        (f"event-{weekly.id}", o.start_at.isoformat())
        for o in weekly.occurrences
        if date(2027, 3, 10) <= o.local_start.date() <= date(2027, 3, 26)
    }
    assert len(expected) == 3
    _assert_every_reader_shows(body, expected)


def test_subscribe_page_does_not_freeze_the_dates_being_looked_at(client, db):
    make_event()
    page = client.get("/calendar/subscribe?type=rally&from=2027-01-01&to=2027-01-31")
    feed_urls = re.findall(r'[^"\s]*calendar\.ics[^"\s<]*', page.get_data(as_text=True))
    assert feed_urls
    # (unquoted: Google and Outlook links carry the feed's address as a parameter)
    feed_urls = [unquote(unescape(url)) for url in feed_urls]
    assert all("rally" in url and "from=" not in url and "to=" not in url for url in feed_urls), (
        feed_urls
    )


def test_city_filter_keeps_the_dates_the_api_lists(client, db):
    series = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
        start_date=date(2027, 3, 4),
        city="Boston",
    )
    occurrence_ops.override_occurrence(
        series.occurrences[2],
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 3, 18),
            start_time=time(12, 0),
            end_time=time(14, 0),
            venue="Worcester City Hall",
            city="Worcester",
        ),
    )
    db.session.commit()
    api = client.get("/api/v1/events?city=Worcester&from=2027-01-01").get_json()
    api_dates = {
        (f"event-{e['id']}", datetime.fromisoformat(o["start"]).astimezone(UTC).isoformat())
        for e in api["events"]
        for o in e["next_occurrences"]
    }
    assert len(api_dates) == 1
    _assert_every_reader_shows(client.get("/calendar.ics?city=Worcester").data, api_dates)


# 7. One UID everywhere --------------------------------------------------------------------------


def test_single_date_files_and_attachments_use_the_feed_uid(client, db):
    series = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=3), start_date=date(2027, 3, 4)
    )
    (master,) = vevents(client.get("/calendar.ics").data)
    occurrence = series.occurrences[1]
    body = client.get(f"/events/{series.id}/occurrences/{occurrence.id}.ics").data
    (single,) = vevents(body)
    assert single["UID"] == master["UID"]
    assert single["RECURRENCE-ID"].dt == occurrence.recurrence_id.astimezone(series.zone)
    for name, dates in all_readers(body, FAR).items():
        assert shown(dates) == {(f"event-{series.id}", occurrence.start_at.isoformat())}, name
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"))
    db.session.commit()
    email = db.session.query(OutgoingEmail).one()
    (attached,) = vevents(email.attachments[0]["data"].encode())
    assert attached["UID"] == master["UID"]


def test_change_notices_carry_the_updated_ics(client, db):
    series = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=3), start_date=date(2027, 3, 4)
    )
    occurrence = series.occurrences[1]
    rsvp_ops.submit(
        occurrence, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"), notify=False
    )
    db.session.commit()
    occurrence_ops.override_occurrence(
        occurrence,
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 3, 11), start_time=time(16, 0), end_time=time(17, 0)
        ),
    )
    db.session.commit()
    (notice,) = db.session.query(OutgoingEmail).filter_by(kind="event_changed").all()
    (attached,) = vevents(notice.attachments[0]["data"].encode())
    assert attached["DTSTART"].dt.hour == 16
    assert attached["SEQUENCE"] >= 1
    assert str(attached["UID"]) == f"event-{series.id}@localhost"


# 8. Cancelled dates: one form ------------------------------------------------------------------


def test_a_cancelled_date_is_an_exdate_that_every_reader_drops(client, db):
    series = make_event(
        recurrence=RecurrenceSpec(Frequency.weekly, count=4), start_date=date(2027, 3, 4)
    )
    occurrence_ops.cancel_occurrence(series.occurrences[1], "Snow storm")
    db.session.commit()
    body = client.get("/calendar.ics").data
    assert b"STATUS:CANCELLED" not in body
    assert len(vevents(body)) == 1
    results = all_readers(body, FAR)
    assert set(results) == set(READERS)
    cancelled = series.occurrences[1].start_at.isoformat()
    for name, dates in results.items():
        assert cancelled not in {start for _uid, start, _status in dates}, name
        assert shown(dates) == _site_dates(series), name


# 9. Texts, zones, organizer, cache scope --------------------------------------------------------


def test_description_is_plain_text(client, db):
    make_event(description="**Bring your union shirt** and see [our site](https://example.org).")
    (vevent,) = vevents(client.get("/calendar.ics").data)
    text = str(vevent["DESCRIPTION"])
    assert text.startswith("Bring your union shirt and see our site (https://example.org).")
    assert "**" not in text and "<" not in text


def test_vtimezones_come_before_the_events(client, db):
    make_event()
    body = client.get("/calendar.ics").data
    assert body.index(b"BEGIN:VTIMEZONE") < body.index(b"BEGIN:VEVENT")


def test_no_made_up_organizer_address(client, db):
    make_event(OrganizationFactory(contact_email=None), title="No address")
    make_event(OrganizationFactory(contact_email="info@valley.example"), title="With address")
    body = client.get("/calendar.ics").data
    assert b"coalition@localhost" not in body
    organizers = {str(v["SUMMARY"]): v.get("ORGANIZER") for v in vevents(body)}
    assert organizers["No address"] is None
    assert str(organizers["With address"]) == "mailto:info@valley.example"


def test_an_event_feed_says_its_own_zone(client, db):
    event = make_event(timezone="America/Los_Angeles", city="Los Angeles")
    calendar = parse(client.get(f"/events/{event.id}.ics").data)
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Los_Angeles"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]


def test_members_only_ics_is_never_publicly_cacheable(client, db):
    org = OrganizationFactory()
    member = member_of(org, OrgRole.member)
    event = make_event(org, visibility=EventVisibility.members)
    client.login(member.email)
    for url in (
        f"/events/{event.id}.ics",
        f"/events/{event.id}/occurrences/{event.occurrences[0].id}.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("private"), url
    public = make_event(org)
    client.logout()  # any answer to a signed-in person is private (coalition/core/http.py)
    assert client.get(f"/events/{public.id}.ics").headers["Cache-Control"].startswith("public")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_each_reader_agrees_across_both_dst_changes(client, db, reader):
    org = OrganizationFactory()
    weekly = make_event(
        org,
        recurrence=RecurrenceSpec(Frequency.weekly, count=8),
        start_date=date(2027, 2, 25),
        start_time=time(19, 0),
        end_time=time(20, 0),
    )
    monthly = make_event(
        org,
        recurrence=RecurrenceSpec(Frequency.monthly_weekday, count=6),
        start_date=date(2027, 8, 26),
        start_time=time(18, 30),
        end_time=time(20, 30),
        timezone="America/Los_Angeles",
    )
    occurrence_ops.cancel_occurrence(weekly.occurrences[3], "Snow")
    db.session.commit()
    dates = READERS[reader](client.get("/calendar.ics").data, FAR)
    assert shown(dates) == _site_dates(weekly, monthly)
    assert {o.local_start.hour for o in weekly.occurrences} == {19}
