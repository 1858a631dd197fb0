"""GET /api/v1/events and /api/v1/events/<id>: public events only, and never a hidden place."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from coalition.events import lifecycle as event_lifecycle
from coalition.events import occurrences as occurrence_ops
from coalition.events.models import EventStatus, EventVisibility, LocationVisibility
from coalition.events.recurrence import Frequency, RecurrenceSpec
from coalition.orgs import operations as org_ops
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.settings.operations import set_setting
from tests.factories import OrganizationFactory, make_event, member_of

NY = ZoneInfo("America/New_York")


def _events(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/events{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["events"]


def _titles(client, query: str = "") -> list[str]:
    return [e["title"] for e in _events(client, query)]


def _next_year_thursday_before_dst_ends() -> date:
    """A Thursday in the second half of October next year: weekly dates then cross the first
    Sunday of November, when New York leaves daylight-saving time."""
    day = date(date.today().year + 1, 10, 24)
    return day - timedelta(days=(day.weekday() - 3) % 7)


# Listing ---------------------------------------------------------------------------------------


def test_lists_upcoming_public_events_with_their_details(client, db):
    host = OrganizationFactory(name="Valley Workers Center", slug="valley")
    partner = OrganizationFactory(name="Local 615", slug="local-615")
    invited = OrganizationFactory(name="Student Movement", slug="students")
    event = make_event(
        host,
        title="May Day March",
        texts={"en": ("May Day March", "Bring **signs**."), "es": ("Marcha del 1 de mayo", "")},
        type_slug="march",
        is_bilingual=True,
        has_interpretation=True,
        has_childcare=True,
        accessibility_notes="Step-free route",
        contact_name="Ana",
        contact_email="events@valley.example",
        capacity=40,
    )
    for org in (partner, invited):
        event_lifecycle.invite_cosponsor(event, org)
    event_lifecycle.respond_to_cosponsorship(event.cosponsors[0], accept=True)
    make_event(host, title="Last winter's vigil", start_date=date(2026, 1, 10))
    db.session.commit()

    response = client.get("/api/v1/events")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    body = response.get_json()
    assert (body["per_page"], body["next"]) == (25, None)
    assert "total" not in body  # no count of everything that matches
    [data] = body["events"]
    assert data["id"] == event.id
    assert urlsplit(data["url"]).path == f"/events/{event.id}"
    assert data["title"] == "May Day March"
    assert data["description"] == "Bring **signs**."
    assert data["translations"]["es"] == {"title": "Marcha del 1 de mayo", "description": ""}
    assert data["primary_language"] == "en" and data["is_bilingual"] is True
    assert data["type"] == {"slug": "march", "name": "March"}
    assert data["host"] == {"slug": "valley", "name": "Valley Workers Center"}
    assert data["cosponsors"] == [{"slug": "local-615", "name": "Local 615"}]
    assert data["start"] == "2027-05-01T12:00:00-04:00"
    assert data["end"] == "2027-05-01T14:00:00-04:00"
    assert data["timezone"] == "America/New_York" and data["all_day"] is False
    assert data["status"] == "published" and data["cancel_reason"] is None
    assert data["visibility"] == "public"
    assert data["languages"] == ["en", "es"]
    assert data["has_interpretation"] and data["has_childcare"]
    assert not data["has_rides"] and not data["has_food"]
    assert data["accessibility_notes"] == "Step-free route"
    assert data["contact"] == {"name": "Ana", "email": "events@valley.example", "phone": None}
    assert data["rrule"] is None
    [occurrence] = data["next_occurrences"]
    assert occurrence["id"] == event.occurrences[0].id
    occurrence_path = urlsplit(occurrence["url"]).path
    assert occurrence_path == f"/events/{event.id}/occurrences/{occurrence['id']}"
    assert client.get(urlsplit(data["url"]).path).status_code == 200
    assert client.get(occurrence_path).status_code == 200
    assert "capacity" not in data  # only on the event's own endpoint


def test_filters_are_the_calendars(client):
    valley = OrganizationFactory(slug="valley")
    worcester = OrganizationFactory(slug="worcester", city="Worcester")
    make_event(valley, title="Boston rally")
    make_event(valley, title="Vigil in Worcester", type_slug="vigil", city="Worcester")
    make_event(worcester, title="Haitian forum", type_slug="forum", languages=["ht"],
               texts={"ht": ("Fowòm", ""), "en": ("Haitian forum", "")}, primary_language="ht",
               start_date=date(2027, 6, 5))  # fmt: skip
    make_event(worcester, title="Spring training", type_slug="training", languages=["en"],
               start_date=date(2027, 3, 2))  # fmt: skip

    assert _titles(client, "?type=vigil&type=forum") == ["Vigil in Worcester", "Fowòm"]
    assert _titles(client, "?org=worcester") == ["Spring training", "Fowòm"]
    assert _titles(client, "?city=worcester") == ["Vigil in Worcester"]
    assert _titles(client, "?q=RALLY") == ["Boston rally"]
    assert _titles(client, "?from=2027-05-02") == ["Fowòm"]
    assert _titles(client, "?from=2027-03-01&to=2027-05-01") == [
        "Spring training",
        "Boston rally",
        "Vigil in Worcester",
    ]
    assert _titles(client, "?lang=ht") == ["Fowòm"]


def test_pagination_links_to_the_next_page_with_the_same_filters(client):
    org = OrganizationFactory()
    for day in range(1, 8):
        make_event(org, title=f"Rally {day}", start_date=date(2027, 5, day))
    make_event(org, title="A vigil", type_slug="vigil")

    first = client.get("/api/v1/events?type=rally&per_page=3").get_json()
    assert [e["title"] for e in first["events"]] == ["Rally 1", "Rally 2", "Rally 3"]
    seen = [e["title"] for e in first["events"]]
    page, pages = first, 1
    while page["next"]:
        assert "type=rally" in page["next"] and "per_page=3" in page["next"]
        page = client.get(page["next"]).get_json()
        seen += [e["title"] for e in page["events"]]
        pages += 1
    assert seen == [f"Rally {day}" for day in range(1, 8)]
    assert pages == 3
    response = client.get("/api/v1/events?after=yesterday")
    assert response.status_code == 400 and "damaged" in response.get_json()["error"]["message"]


def test_requests_of_the_same_shape_answer_their_own_values(client, db):
    # The API makes each statement once for a shape (which filters are given, how many
    # languages) and runs it with each request's values: requests alike in all but their
    # values must not answer each other's events.
    valley = OrganizationFactory(slug="valley")
    worcester = OrganizationFactory(slug="worcester", city="Worcester")
    make_event(valley, title="Boston rally", texts={"en": ("Boston rally", "Loud.")},
               languages=["en"], start_date=date(2027, 5, 1))  # fmt: skip
    make_event(worcester, title="Worcester vigil", type_slug="vigil", city="Worcester",
               texts={"en": ("Worcester vigil", "Quiet.")}, languages=["en", "es"],
               start_date=date(2027, 6, 1))  # fmt: skip
    make_event(worcester, title="Fowòm", type_slug="forum", city="Lowell", languages=["ht"],
               texts={"ht": ("Fowòm", "")}, primary_language="ht",
               start_date=date(2027, 7, 1))  # fmt: skip
    make_event(valley, title="Monthly meeting", type_slug="meeting", languages=["en"],
               texts={"en": ("Monthly meeting", "")}, start_date=date(2027, 1, 7),
               recurrence=RecurrenceSpec(Frequency.monthly_weekday, count=12))  # fmt: skip
    make_event(valley, title="Members", visibility=EventVisibility.members)
    alike = [
        ("?type=rally", ["Boston rally"]),
        ("?type=vigil", ["Worcester vigil"]),
        ("?type=rally&type=meeting", ["Monthly meeting", "Boston rally"]),
        ("?type=vigil&type=forum", ["Worcester vigil", "Fowòm"]),
        ("?org=valley", ["Monthly meeting", "Boston rally"]),
        ("?org=worcester", ["Worcester vigil", "Fowòm"]),
        ("?lang=es", ["Worcester vigil"]),
        ("?lang=ht", ["Fowòm"]),
        ("?lang=es&lang=ht", ["Worcester vigil", "Fowòm"]),
        ("?lang=pt&lang=ht", ["Fowòm"]),
        ("?city=worcester", ["Worcester vigil"]),
        ("?city=lowell", ["Fowòm"]),
        ("?q=loud", ["Boston rally"]),
        ("?q=quiet", ["Worcester vigil"]),
        ("?from=2027-05-01&to=2027-05-02", ["Boston rally"]),
        ("?from=2027-06-01&to=2027-06-30", ["Worcester vigil", "Monthly meeting"]),
        ("?per_page=1", ["Monthly meeting"]),
        ("?per_page=2", ["Monthly meeting", "Boston rally"]),
    ]
    for query, titles in alike + alike:  # twice: each statement made before it runs again
        assert _titles(client, query) == titles, query

    pages = []
    page = client.get("/api/v1/events?per_page=1").get_json()
    while page["next"]:
        page = client.get(page["next"]).get_json()
        pages.append([e["title"] for e in page["events"]])
    assert pages == [["Boston rally"], ["Worcester vigil"], ["Fowòm"]]
    # The series' next dates from each request's own start.
    for month in (3, 9, 3):
        [data] = _events(client, f"?type=meeting&from=2027-{month:02}-01")
        starts = [datetime.fromisoformat(o["start"]).month for o in data["next_occurrences"]]
        assert starts == list(range(month, min(month + 5, 13))), month

    member_of(valley, OrgRole.member, email="member@example.org")
    client.login("member@example.org")
    assert _titles(client, "?org=valley") == ["Monthly meeting", "Boston rally"]
    client.logout()
    assert _titles(client, "?org=valley") == ["Monthly meeting", "Boston rally"]


@pytest.mark.parametrize(
    "query",
    ["?per_page=101", "?per_page=0", "?after=0", "?after=20270101T000000000000-x",
     "?type=picnic", "?org=nobody", "?lang=xx",
     "?from=May", "?from=2027-05-02&to=2027-05-01", "?q=" + "x" * 101],
)  # fmt: skip
def test_bad_parameters_answer_400_in_json(client, query):
    response = client.get(f"/api/v1/events{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["message"]


def test_text_in_the_requested_language_else_the_primary(client):
    both = make_event(texts={"en": ("Vigil", "Candles."), "es": ("Vigilia", "Velas.")})
    spanish_only = make_event(
        primary_language="es", texts={"es": ("Foro", "")}, languages=["es", "en"]
    )
    listed = {e["id"]: e for e in _events(client, "?lang=es")}
    assert (listed[both.id]["title"], listed[both.id]["description"]) == ("Vigilia", "Velas.")
    assert listed[both.id]["language"] == "es"
    assert listed[both.id]["type"]["name"] == "Mitin"
    listed = {e["id"]: e for e in _events(client, "?lang=en")}
    assert listed[spanish_only.id]["title"] == "Foro"
    assert listed[spanish_only.id]["language"] == "es"

    detail = client.get(f"/api/v1/events/{both.id}?lang=ht").get_json()
    assert detail["title"] == "Vigil" and detail["language"] == "en"
    assert client.get(f"/api/v1/events/{both.id}?lang=es").get_json()["title"] == "Vigilia"


# Series ----------------------------------------------------------------------------------------


def test_series_has_its_rule_and_next_dates_at_7pm_local_across_the_dst_change(client):
    first = _next_year_thursday_before_dst_ends()
    event = make_event(
        title="Weekly meeting",
        type_slug="meeting",
        start_date=first,
        start_time=time(19, 0),
        end_time=time(20, 30),
        recurrence=RecurrenceSpec(Frequency.weekly, count=6),
    )
    [data] = _events(client)
    assert data["rrule"] == "FREQ=WEEKLY;COUNT=6;BYDAY=TH"
    assert data["dtstart"] == datetime.combine(first, time(19), tzinfo=NY).isoformat()
    starts = [datetime.fromisoformat(o["start"]) for o in data["next_occurrences"]]
    assert [s.date() for s in starts] == [first + timedelta(weeks=n) for n in range(5)]
    assert all((s.hour, s.minute) == (19, 0) for s in starts)
    offsets = [s.utcoffset() for s in starts]
    assert offsets == [datetime.combine(s.date(), time(19), tzinfo=NY).utcoffset() for s in starts]
    assert set(offsets) == {timedelta(hours=-4), timedelta(hours=-5)}
    assert [o["id"] for o in data["next_occurrences"]] == [o.id for o in event.occurrences[:5]]

    detail = client.get(f"/api/v1/events/{event.id}").get_json()
    assert [o["start"] for o in detail["occurrences"]] == [
        o.start_at.astimezone(NY).isoformat() for o in event.occurrences
    ]
    ends = [datetime.fromisoformat(o["end"]) for o in detail["occurrences"]]
    assert all((e.hour, e.minute) == (20, 30) for e in ends)


def test_next_dates_start_from_the_requested_range(client):
    make_event(
        start_date=date(2027, 1, 7),
        recurrence=RecurrenceSpec(Frequency.monthly_weekday, count=12),
    )
    [data] = _events(client, "?from=2027-06-01")
    months = [datetime.fromisoformat(o["start"]).month for o in data["next_occurrences"]]
    assert months == [6, 7, 8, 9, 10]
    assert data["start"].startswith("2027-06-")


def test_cancelled_event_and_cancelled_date_are_flagged(client, db):
    cancelled = make_event(title="Rained out", status=EventStatus.cancelled)
    series = make_event(
        title="Weekly meeting",
        start_date=date(2027, 5, 6),
        recurrence=RecurrenceSpec(Frequency.weekly, count=4),
    )
    occurrence_ops.cancel_occurrence(series.occurrences[0], "Holiday")
    db.session.commit()

    listed = {e["id"]: e for e in _events(client)}
    data = listed[cancelled.id]
    assert data["status"] == "cancelled" and data["cancel_reason"] == "Weather"
    assert data["next_occurrences"][0]["cancelled"] is True

    data = listed[series.id]
    assert data["status"] == "published"
    dates = data["next_occurrences"]
    assert [o["cancelled"] for o in dates] == [True, False, False, False]
    assert dates[0]["cancel_reason"] == "Holiday" and dates[1]["cancel_reason"] is None
    # The event's own start is its next date that still happens.
    assert data["start"] == dates[1]["start"] == "2027-05-13T12:00:00-04:00"


# Who can see what ------------------------------------------------------------------------------


def _not_listed_events(db):
    org = OrganizationFactory()
    suspended = OrganizationFactory()
    events = {
        "draft": make_event(org, title="Draft", status=EventStatus.draft),
        "members": make_event(org, title="Members", visibility=EventVisibility.members),
        "unlisted": make_event(org, title="Unlisted", visibility=EventVisibility.unlisted),
        "suspended": make_event(suspended, title="Suspended org"),
    }
    org_ops.suspend(suspended, "Spam")
    set_setting("events_require_approval", True)
    db.session.commit()
    events["pending"] = make_event(org, title="Pending")
    assert events["pending"].status == EventStatus.pending
    return events


def test_only_publicly_listed_events_exist_in_the_api(client, db):
    public = make_event(title="Public")
    events = _not_listed_events(db)
    assert _titles(client) == ["Public"]
    assert client.get(f"/api/v1/events/{public.id}").status_code == 200
    for name, event in events.items():
        response = client.get(f"/api/v1/events/{event.id}")
        assert response.status_code == 404, name
        assert response.get_json()["error"]["status"] == 404
    assert client.get("/api/v1/events/999999").status_code == 404


def test_signed_in_members_do_not_see_members_only_events_in_the_api(client, db):
    org = OrganizationFactory()
    event = make_event(org, title="Members", visibility=EventVisibility.members)
    member_of(org, OrgRole.member, email="member@example.org")
    client.login("member@example.org")
    assert _titles(client) == []
    assert client.get(f"/api/v1/events/{event.id}").status_code == 404


# Location privacy ------------------------------------------------------------------------------

SECRETS = {
    "venue": "Sotano Secreto 4471",
    "address": "88 Quiet Row 5512",
    "map_url": "https://maps.example/secret-9931",
    "online_url": "https://meet.example/hidden-7720",
}


def _bodies(client, event_id: int) -> list[str]:
    urls = [
        "/api/v1/events",
        "/api/v1/events?q=court",
        f"/api/v1/events/{event_id}",
        f"/api/v1/events/{event_id}?lang=es",
    ]
    bodies = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        bodies.append(response.get_data(as_text=True))
    return bodies


@pytest.mark.parametrize(
    ("visibility", "reveal_hours"),
    [(LocationVisibility.attendees, None), (LocationVisibility.hidden_until, 2)],
)
def test_a_hidden_place_appears_nowhere_in_the_api(client, db, visibility, reveal_hours):
    event = make_event(
        title="Court accompaniment",
        type_slug="court-accompaniment",
        location_visibility=visibility,
        location_reveal_hours=reveal_hours,
        recurrence=RecurrenceSpec(Frequency.weekly, count=3),
        **SECRETS,
    )
    occurrence_ops.override_occurrence(
        event.occurrences[0],
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 5, 1),
            start_time=time(13, 0),
            end_time=time(15, 0),
            venue="Override Hall 3387",
            address="3 Moved St 6620",
        ),
    )
    db.session.commit()

    for body in _bodies(client, event.id):
        assert "Court accompaniment" in body
        for secret in [*SECRETS.values(), "Override Hall 3387", "3 Moved St 6620"]:
            assert secret not in body
    # The town stays public (people need to know whether they can get there): found by it.
    found = client.get("/api/v1/events?city=Boston").get_json()["events"]
    assert [e["id"] for e in found] == [event.id]
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    assert data["location"] is None
    assert data["town"] == "Boston"
    assert data["location_visibility"] == visibility.value
    if visibility == LocationVisibility.hidden_until:
        assert data["location_reveal_at"] == "2027-05-01T11:00:00-04:00"
    else:
        assert data["location_reveal_at"] is None


def test_a_public_place_is_given_with_the_next_dates_override(client, db):
    event = make_event(
        title="Vigil",
        online_url="https://stream.example/vigil",
        recurrence=RecurrenceSpec(Frequency.weekly, count=3),
    )
    occurrence_ops.override_occurrence(
        event.occurrences[0],
        occurrence_ops.OccurrenceChange(
            start_date=date(2027, 5, 1),
            start_time=time(12, 0),
            end_time=time(14, 0),
            venue="Faneuil Hall",
        ),
    )
    event.latitude, event.longitude = 42.36, -71.06  # set by a geocoder, not the form
    db.session.commit()
    [data] = _events(client)
    assert data["location_visibility"] == "public"
    assert data["location"] == {
        "venue": "Faneuil Hall",
        "address": "1 City Hall Sq",
        "city": "Boston",
        "map_url": None,
        "online_url": "https://stream.example/vigil",
        "latitude": 42.36,
        "longitude": -71.06,
    }


def test_a_place_hidden_until_shortly_before_shows_once_that_time_has_come(client):
    soon = datetime.now(UTC).astimezone(NY).date() + timedelta(days=3)
    event = make_event(
        start_date=soon,
        location_visibility=LocationVisibility.hidden_until,
        location_reveal_hours=7 * 24,
        **SECRETS,
    )
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    assert data["location_visibility"] == "public"
    assert data["location"]["venue"] == SECRETS["venue"]
    assert data["location"]["online_url"] == SECRETS["online_url"]


# One event -------------------------------------------------------------------------------------


def test_one_event_has_its_upcoming_dates_and_seats_left_on_the_next(client, db):
    capped = make_event(
        title="Know your rights",
        type_slug="training",
        capacity=25,
        start_date=date(2027, 1, 7),
        recurrence=RecurrenceSpec(Frequency.weekly, count=60),
    )
    open_door = make_event(title="Open meeting")
    data = client.get(f"/api/v1/events/{capped.id}").get_json()
    assert len(data["occurrences"]) == 50
    assert data["occurrences"][0]["start"] == "2027-01-07T12:00:00-05:00"
    assert (data["capacity"], data["spots_left"]) == (25, 25)

    first = capped.occurrences[0]
    rsvp_ops.submit(first, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org", party_size=3))
    rsvp_ops.submit(capped.occurrences[1], rsvp_ops.RSVPInput(name="Jo", email="jo@example.org"))
    db.session.commit()
    data = client.get(f"/api/v1/events/{capped.id}").get_json()
    assert (data["capacity"], data["spots_left"]) == (25, 22)
    assert "Ana" not in client.get(f"/api/v1/events/{capped.id}").get_data(as_text=True)
    data = client.get(f"/api/v1/events/{open_door.id}").get_json()
    assert (data["capacity"], data["spots_left"]) == (None, None)
    assert len(data["occurrences"]) == 1
