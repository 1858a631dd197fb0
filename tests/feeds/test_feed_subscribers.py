"""Feeds right for every subscriber (issue #23, findings 1-7): the same text whoever asked first,
places revealed on time, change signals in personal feeds, escaped names, limits that fit how
calendar services poll, bounded never-seen builds, and the reason of a cancellation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from coalition import calendar_version
from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events.models import Event, LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.feeds import cache
from coalition.feeds.store import get_store
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from tests.factories import OrganizationFactory, make_event, member_of
from tests.feeds.conftest import vevents
from tests.feeds.readers import all_readers, read_vobject_names, shown
from tests.sessions.helpers import add_session

SECRET = "Back room of the laundromat"


def _description(body: bytes) -> str:
    return next(str(v["description"]) for v in vevents(body) if str(v["uid"]).startswith("event-"))


# 1. The first visitor's language -------------------------------------------------------------


def test_a_dates_agenda_is_in_the_feeds_language_whoever_asked_first(client, db):
    event = make_event(title="Dialogue", type_slug="dialogue")
    add_session(event.occurrences[0], "Workshop", "12:15", "13:00", has_interpretation=True)
    first = client.get(f"/events/{event.id}.ics", headers={"Accept-Language": "pt"})
    assert first.status_code == 200
    for url, language in (("/calendar.ics", None), ("/calendar.ics?type=dialogue", "en"),
                          (f"/events/{event.id}.ics", "en")):  # fmt: skip
        headers = {"Accept-Language": language} if language else {}
        description = _description(client.get(url, headers=headers).data)
        assert "12:15–13:00 Workshop · interpretation" in description, url
        assert "interpretação" not in description, url
    # A feed asked for in Portuguese says it in Portuguese, whoever asks.
    portuguese = client.get(f"/events/{event.id}.ics?lang=pt", headers={"Accept-Language": "es"})
    assert "interpretação" in _description(portuguese.data)


# 2. A place revealed N hours before ---------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2027, 4, 28, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def test_a_place_revealed_before_the_start_reaches_feeds_at_that_moment(client, db, clock):
    from coalition.events.schedule import apply_due

    # Starts May 1 at 12:00 New York (16:00 UTC); the place is public from 24 hours before.
    event = make_event(title="Picket", location_visibility=LocationVisibility.hidden_until,
                       location_reveal_hours=24, venue=SECRET, address="12 Elm St")  # fmt: skip
    other = make_event(title="Other rally", start_date=date(2027, 6, 1))
    apply_due()
    db.session.commit()
    feed = client.get("/calendar.ics")
    single = client.get(f"/events/{event.id}.ics")
    assert SECRET not in feed.get_data(as_text=True)
    assert SECRET not in single.get_data(as_text=True)
    other_revision = other.revision
    assert client.get(f"/api/v1/events/{event.id}").get_json()["location"] is None

    clock.move_to(datetime(2027, 4, 30, 16, 0, 30, tzinfo=UTC))  # 30 s after the reveal
    assert apply_due() >= 1  # what the worker runs at the due time
    db.session.commit()
    for url, before in (("/calendar.ics", feed), (f"/events/{event.id}.ics", single)):
        after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200, url
        assert SECRET in after.get_data(as_text=True), url
        assert after.headers["ETag"] != before.headers["ETag"]
    api = client.get(f"/api/v1/events/{event.id}").get_json()
    assert api["location"]["venue"] == SECRET
    db.session.expire_all()
    assert db.session.get(Event, other.id).revision == other_revision  # only what changed
    # Nothing more is due: running again changes no version.
    version = calendar_version.current()
    apply_due()
    db.session.commit()
    assert calendar_version.current() == version


def test_the_worker_is_woken_at_each_due_moment(app, db, clock):
    from coalition.events.schedule import due_moments

    make_event(title="Picket", location_visibility=LocationVisibility.hidden_until,
               location_reveal_hours=24, venue=SECRET)  # fmt: skip
    make_event(title="Forum", rsvp_closes_at=datetime(2027, 4, 29, 22, 0, tzinfo=UTC),
               start_date=date(2027, 5, 3))  # fmt: skip
    moments = due_moments(datetime(2027, 4, 28, 9, 0, tzinfo=UTC), timedelta(days=4))
    assert moments == sorted(moments)
    assert datetime(2027, 4, 30, 16, 0, tzinfo=UTC) in moments  # the reveal
    assert datetime(2027, 4, 29, 22, 0, tzinfo=UTC) in moments  # RSVPs close
    assert datetime(2027, 5, 1, 16, 0, tzinfo=UTC) in moments  # the picket starts
    assert datetime(2027, 5, 1, 18, 0, tzinfo=UTC) in moments  # ... and ends
    assert due_moments(datetime(2027, 4, 28, 9, 0, tzinfo=UTC), timedelta(hours=1)) == []


def test_the_worker_plans_a_run_at_a_reveal_within_the_next_minute(app, db, clock):
    from coalition.worker import build_scheduler

    # May 1 12:00 New York is 16:00 UTC; revealed 24 hours before: 60 s from now.
    clock.move_to(datetime(2027, 4, 30, 15, 59, 0, tzinfo=UTC))
    make_event(title="Picket", location_visibility=LocationVisibility.hidden_until,
               location_reveal_hours=24, venue=SECRET)  # fmt: skip
    scheduler = build_scheduler(app)
    plan = next(job for job in scheduler.get_jobs() if job.id == "clock-changes")
    plan.func()
    planned = [job for job in scheduler.get_jobs() if job.id.startswith("clock-2027")]
    assert [job.trigger.run_date for job in planned] == [datetime(2027, 4, 30, 16, 0, tzinfo=UTC)]


def test_a_revealed_date_of_a_hidden_series_shows_its_place_and_readers_agree(client, db, clock):
    from coalition.events.schedule import apply_due

    event = make_event(title="Picket", location_visibility=LocationVisibility.hidden_until,
                       location_reveal_hours=24, venue=SECRET,
                       recurrence=RecurrenceSpec(Frequency.weekly, count=3))  # fmt: skip
    first, second, third = event.occurrences
    apply_due()
    db.session.commit()
    assert SECRET not in client.get("/calendar.ics").get_data(as_text=True)
    clock.move_to(first.start_at - timedelta(hours=23))
    apply_due()
    db.session.commit()
    body = client.get("/calendar.ics").data
    placed = [v for v in vevents(body) if SECRET in str(v.get("location", ""))]
    assert [v.decoded("recurrence-id").astimezone(UTC) for v in placed] == [first.start_at]
    expected = {(f"event-{event.id}", o.start_at.astimezone(UTC).isoformat())
                for o in (first, second, third)}  # fmt: skip
    for name, dates in all_readers(body, datetime(2032, 1, 1, tzinfo=UTC)).items():
        assert shown(dates) == expected, name


def test_rsvps_closing_moves_the_pages_version_not_the_feeds(client, db, clock):
    from coalition.events.schedule import apply_due

    event = make_event(title="Forum", rsvp_closes_at=datetime(2027, 4, 28, 22, 0, tzinfo=UTC))
    apply_due()
    db.session.commit()
    feed = client.get("/calendar.ics")
    attendance = calendar_version.current(calendar_version.ATTENDANCE)
    revision = event.revision
    clock.move_to(datetime(2027, 4, 28, 22, 0, 5, tzinfo=UTC))  # the same day: same window
    apply_due()
    db.session.commit()
    assert calendar_version.current(calendar_version.ATTENDANCE) != attendance
    unchanged = client.get("/calendar.ics", headers={"If-None-Match": feed.headers["ETag"]})
    assert unchanged.status_code == 304
    db.session.expire_all()
    assert db.session.get(Event, event.id).revision == revision


# 3. Change signals in personal feeds ---------------------------------------------------------


def _session_vevent(body: bytes):
    return next(v for v in vevents(body) if str(v["uid"]).startswith("session-"))


def test_a_session_moved_five_minutes_carries_a_change_signal_in_my_events(client, db):
    from coalition.sessions import operations as session_ops

    org = OrganizationFactory()
    ana = member_of(org, OrgRole.member, email="ana@example.org")
    event = make_event(org, title="Dialogue", start_date=date(2027, 3, 11))
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Workshop", "12:30", "13:30", capacity=25)
    outcome = rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(
        name="Ana", email=ana.email, sessions=[workshop]), user=ana)  # fmt: skip
    rsvp_ops.link_to_account(outcome.rsvp, ana)
    db.session.commit()
    url = f"/feeds/{ana.feed_token}/my-events.ics"
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        before = _session_vevent(client.get(url).data)
    assert "SEQUENCE" in before and "LAST-MODIFIED" in before
    with time_machine.travel(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), tick=False):
        session_ops.update_session(workshop, session_ops.SessionInput(
            title="Workshop", start_at=workshop.start_at + timedelta(minutes=5),
            end_at=workshop.end_at, capacity=25))  # fmt: skip
        db.session.commit()
        after = _session_vevent(client.get(url).data)
    assert after.decoded("dtstart") == before.decoded("dtstart") + timedelta(minutes=5)
    assert after["sequence"] > before["sequence"]
    assert after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("last-modified") > before.decoded("last-modified")


def test_a_delegations_date_moved_carries_a_change_signal(client, db):
    from coalition.delegations import operations as delegation_ops

    event = make_event(title="May Day march")
    occurrence = event.occurrences[0]
    with time_machine.travel(datetime(2027, 1, 10, 9, 0, tzinfo=UTC), tick=False):
        bus = delegation_ops.start(occurrence, delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name="Rosa",
            lead_email="rosa@example.org"))  # fmt: skip
        db.session.commit()
        url = f"/delegations/{bus.id}/{bus.join_secret}/calendar.ics"
        before = vevents(client.get(url).data)[0]
    with time_machine.travel(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), tick=False):
        add_session(occurrence, "Briefing", "12:00", "12:30")
        after = vevents(client.get(url).data)[0]
    assert "Briefing" in str(after["description"])
    assert after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("last-modified") > before.decoded("last-modified")
    assert after["sequence"] >= before["sequence"]


# 4. TEXT escaping ----------------------------------------------------------------------------


class TestEscaping:
    @pytest.fixture
    def app_overrides(self):
        return {"COALITION_NAME": "Ñandú; café, pan\\vino"}

    def test_calendar_names_are_text_escaped_and_read_back_whole(self, client, db):
        org = OrganizationFactory(name="Unidos; juntos, siempre")
        make_event(org, title="Rally; march, vigil")
        name = "Ñandú; café, pan\\vino"
        org_name = f"Unidos; juntos, siempre · {name}"
        for url, expected in (
            ("/calendar.ics", name),
            (f"/orgs/{org.slug}/calendar.ics", org_name),
        ):
            body = client.get(url).data
            escaped = expected.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            unfolded = body.replace(b"\r\n ", b"").decode()
            assert f"\r\nNAME:{escaped}\r\n" in unfolded
            assert f"\r\nX-WR-CALNAME:{escaped}\r\n" in unfolded
            names = read_vobject_names(body)
            assert names["NAME"] == expected and names["X-WR-CALNAME"] == expected, url
            assert names["SUMMARY"] == ["Rally; march, vigil"]


# 5. Limits that fit how calendars poll -------------------------------------------------------


class TestLimits:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "FEED_RATE_LIMIT": "3 per minute",
                "FEED_ADHOC_RATE_LIMIT": "5 per minute",
                "RATELIMIT_KEY_PREFIX": "instance-b"}  # fmt: skip

    def test_feed_counters_live_under_the_key_prefix(self, client, db):
        """Two instances sharing one Redis keep their feed counters apart too."""
        from coalition.extensions import limiter

        make_event()
        assert client.get("/calendar.ics").status_code == 200
        assert client.get("/calendar.ics?q=rally").status_code == 200
        keys = list(limiter.limiter.storage.storage)
        assert any("/FEED_ADHOC_RATE_LIMIT/" in key for key in keys), keys
        assert all(key.startswith("LIMITER/instance-b/") for key in keys), keys

    def test_conditional_requests_are_not_limited_like_full_answers(self, client, db):
        make_event()
        first = client.get("/calendar.ics")
        assert first.status_code == 200
        for _ in range(20):  # a calendar service asking "changed?" is cheap: never 429
            again = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304
        assert client.get("/calendar.ics").status_code == 200

    def test_limits_are_per_feed_not_per_shared_address(self, client, db):
        org = OrganizationFactory()
        people = [member_of(org, OrgRole.member) for _ in range(6)]
        make_event(org)
        # One polling address (a calendar service) fetching six people's feeds twice each.
        for _ in range(2):
            for person in people:
                assert client.get(f"/feeds/{person.feed_token}/calendar.ics").status_code == 200
        # One feed fetched again and again from that address is limited.
        url = f"/feeds/{people[0].feed_token}/calendar.ics"
        statuses = [client.get(url).status_code for _ in range(3)]
        assert statuses[-1] == 429
        assert client.get(f"/feeds/{people[1].feed_token}/calendar.ics").status_code == 200

    def test_never_seen_builds_are_limited_per_address(self, client, db):
        make_event(title="Rally for TPS")
        statuses = [client.get(f"/calendar.ics?q=word{n}").status_code for n in range(8)]
        assert statuses[:5] == [200] * 5
        assert 429 in statuses[5:]
        refused = client.get("/calendar.ics?q=word99")
        assert refused.status_code == 429 and refused.headers.get("Retry-After")


# 6. Never-seen builds bounded -----------------------------------------------------------------


def _stored_keys(app) -> list[str]:
    store = get_store()
    local = getattr(store, "local", store)
    return list(local._items)


def test_free_text_and_date_range_feeds_are_not_stored_for_days(client, db, app):
    make_event(title="Rally for TPS")
    make_event(title="Weekly", start_date=date(2027, 5, 3),
               recurrence=RecurrenceSpec(Frequency.weekly, count=5))  # fmt: skip
    client.get("/calendar.ics")
    stored = len(_stored_keys(app))
    for n in range(30):
        response = client.get(f"/calendar.ics?q=rally{n}")
        assert response.status_code == 200
        ranged = client.get(f"/calendar.ics?from=2027-05-{n % 28 + 1:02d}&to=2027-06-30")
        assert ranged.status_code == 200
    assert len(_stored_keys(app)) == stored
    assert b"Rally for TPS" in client.get("/calendar.ics?q=rally").data
    # They are kept only in a small bounded copy of this process.
    kept = cache.adhoc_store()
    assert len(kept._items) <= app.config["FEED_ADHOC_ENTRIES"]
    assert kept.max_bytes == app.config["FEED_ADHOC_MEMORY_MB"] * 1024 * 1024


def test_a_repeated_free_text_feed_still_answers_304(client, db):
    make_event(title="Rally for TPS")
    first = client.get("/calendar.ics?q=rally")
    again = client.get("/calendar.ics?q=rally", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# 7. Cancellation reason and Vary ---------------------------------------------------------------


def test_a_cancelled_one_date_events_description_gives_the_reason(client, db):
    event = make_event(title="Town hall")
    occurrence_ops.cancel_occurrence(event.occurrences[0], "The hall flooded")
    db.session.commit()
    whole = make_event(title="Vigil", start_date=date(2027, 6, 1))
    event_lifecycle.cancel_event(whole, "Permit refused")
    db.session.commit()
    api = client.get(f"/api/v1/events/{event.id}").get_json()
    assert api["occurrences"][0]["cancel_reason"] == "The hall flooded"
    for url in ("/calendar.ics", f"/events/{event.id}.ics"):
        texts = {str(v["summary"]): (str(v["status"]), str(v["description"]))
                 for v in vevents(client.get(url).data)}  # fmt: skip
        status, description = texts["Town hall"]
        assert status == "CANCELLED" and "The hall flooded" in description, url
    whole_text = {str(v["summary"]): str(v["description"])
                  for v in vevents(client.get("/calendar.ics").data)}  # fmt: skip
    assert "Permit refused" in whole_text["Vigil"]


def test_public_feeds_do_not_vary_on_cookie(client, db):
    event = make_event()
    org = event.host_org
    for url in ("/calendar.ics", f"/orgs/{org.slug}/calendar.ics", f"/events/{event.id}.ics",
                f"/events/{event.id}/occurrences/{event.occurrences[0].id}.ics"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Vary"] == "Accept-Encoding", url
        assert "Set-Cookie" not in response.headers
