"""Organizers post and manage events through the pages; admins moderate."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from coalition.events.models import Event, EventCosponsor, EventStatus, EventTranslation
from coalition.mail.models import OutgoingEmail
from coalition.orgs.models import OrgRole, OrgStatus
from coalition.settings.operations import set_setting
from tests.factories import OrganizationFactory, UserFactory, make_event, member_of

FORM = {
    "type_slug": "rally", "primary_language": "en", "title_en": "Rally at City Hall",
    "description_en": "Bring **signs**.", "start_date": "2027-05-01", "start_time": "12:00",
    "end_time": "14:00", "timezone": "America/New_York", "frequency": "none", "interval": "1",
    "ends": "count", "count": "6", "venue": "City Hall Plaza", "city": "Boston",
    "location_visibility": "public", "reminders": "default", "visibility": "public",
    "has_waitlist": "y",
}  # fmt: skip


@pytest.fixture
def org(db):
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    db.session.commit()
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="org@example.org")
    return org


def _create(client, org, **fields):
    url = f"/orgs/{org.slug}/events/new"
    return client.submit(url, {**FORM, **fields}, page=url)


def _count(db, model=Event):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_preview_publish(client, db, org):
    client.login("org@example.org")
    response = _create(client, org)
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.status == EventStatus.draft
    preview = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Preview" in preview and "<strong>signs</strong>" in preview
    client.logout()
    assert client.get(f"/events/{event.id}").status_code == 404  # drafts are not public
    client.login("org@example.org")
    assert (
        client.submit(f"/events/{event.id}/publish", page=f"/events/{event.id}").status_code == 302
    )
    db.session.refresh(event)
    assert event.status == EventStatus.published
    client.logout()
    assert "Rally at City Hall" in client.get("/calendar").get_data(as_text=True)


def test_recurring_event_from_the_form_and_edit_round_trip(client, db, org):
    client.login("org@example.org")
    _create(client, org, frequency="monthly_weekday", start_date="2026-12-24", count="4",
            title_en="Coalition meeting")  # fmt: skip
    event = db.session.scalar(sa.select(Event))
    assert event.rrule == "FREQ=MONTHLY;COUNT=4;BYDAY=4TH"
    assert len(event.occurrences) == 4
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert re.search(
        r'<option (selected value="monthly_weekday"|value="monthly_weekday" selected)', page
    )
    assert client.submit(f"/events/{event.id}/edit", {**FORM, "frequency": "monthly_weekday",
                         "start_date": "2026-12-24", "count": "4", "title_en": "Meeting!"},
                         page=f"/events/{event.id}/edit").status_code == 302  # fmt: skip
    db.session.refresh(event)
    assert event.title == "Meeting!" and len(event.occurrences) == 4


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end_time": "11:00"}, "end_time", "The end must be after the start."),
        ({"frequency": "weekly", "ends": "never_ever", "count": ""}, "ends", ""),
        ({"frequency": "weekly", "count": "0"}, "count", ""),
        ({"frequency": "weekly", "count": "501"}, "count", ""),
        ({"type_slug": "picnic"}, "type_slug", ""),
        ({"timezone": "Mars/Base"}, "timezone", ""),
        ({"title_en": "x" * 201}, "title_en", ""),
        ({"title_en": ""}, "title", "Give a title in the main language."),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field_and_writes_nothing(
    client, db, org, fields, field, message
):
    client.login("org@example.org")
    response = _create(client, org, **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in body
    assert message in body
    assert _count(db) == 0 and _count(db, EventTranslation) == 0


def test_choosing_another_main_language_keeps_the_title(client, db):
    """Issue #14, finding 2: the org works in Haitian Creole first; the event is in English."""
    from coalition.events.types import ensure_default_types

    ensure_default_types()
    org = OrganizationFactory(languages=["ht", "en"])
    member_of(org, OrgRole.organizer, email="org@example.org")
    client.login("org@example.org")
    page = client.get(f"/orgs/{org.slug}/events/new").get_data(as_text=True)
    assert "Title (in the main language)" in page
    assert "Title (Kreyòl ayisyen)" in page  # among the translations, not first
    assert page.index("Title (in the main language)") < page.index("Title (Kreyòl ayisyen)")
    fields = {k: v for k, v in FORM.items() if not k.endswith("_en")}
    response = _create(
        client, org, **fields, title="Know your rights", description="In English.",
        title_ht="Konnen dwa ou",
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    event = db.session.scalar(sa.select(Event))
    assert event.primary_language == "en"
    assert {t.language: t.title for t in event.translations} == {
        "en": "Know your rights", "ht": "Konnen dwa ou"
    }  # fmt: skip
    # The edit form gives the main-language text back in the main fields.
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert re.search(r'id="title"[^>]*value="Know your rights"', page) or re.search(
        r'value="Know your rights"[^>]*id="title"', page
    )


def test_script_in_a_description_is_stored_but_never_run(client, db, org):
    client.login("org@example.org")
    _create(client, org, description_en="<script>alert(1)</script> [x](javascript:alert(2))")
    event = db.session.scalar(sa.select(Event))
    body = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert 'href="javascript:' not in body


def test_editing_someone_elses_event_is_refused(client, db, org):
    event = make_event(org)
    other = OrganizationFactory()
    member_of(other, OrgRole.organizer, email="other@example.org")
    client.login("other@example.org")
    response = client.submit(f"/events/{event.id}/edit", FORM, page="/")
    assert response.status_code == 403
    db.session.refresh(event)
    assert event.title == "Rally for TPS"


def test_duplicate_cancel_and_delete(client, db, org):
    client.login("org@example.org")
    event = make_event(org, start_date=date(2027, 5, 1))
    response = client.submit(f"/events/{event.id}/duplicate", page=f"/events/{event.id}")
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.id != event.id))
    assert copy.status == EventStatus.draft
    assert copy.occurrences[0].local_start.date() == date(2027, 6, 1)
    assert client.submit(f"/events/{event.id}/cancel", {"reason": ""}, page="/").status_code == 400
    assert (
        client.submit(f"/events/{event.id}/cancel", {"reason": "Storm"}, page="/").status_code
        == 302
    )
    db.session.refresh(event)
    assert (event.status, event.cancel_reason) == (EventStatus.cancelled, "Storm")
    assert client.submit(f"/events/{event.id}/delete", page="/").status_code == 409
    copy_id = copy.id
    assert client.submit(f"/events/{copy_id}/delete", page="/").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, copy_id) is None


def test_override_and_cancel_one_date(client, db, org):
    from coalition.events.recurrence import Frequency, RecurrenceSpec

    client.login("org@example.org")
    event = make_event(org, recurrence=RecurrenceSpec(Frequency.weekly, count=3))
    second = event.occurrences[1]
    base = f"/events/{event.id}/occurrences/{second.id}"
    response = client.submit(f"{base}/edit", {"start_date": second.local_start.date().isoformat(),
                             "start_time": "16:00", "end_time": "17:00", "venue": "Church hall",
                             "note": "Moved indoors"}, page=f"{base}/edit")  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(second)
    assert (second.local_start.hour, second.venue, second.is_override) == (16, "Church hall", True)
    assert (
        client.submit(f"{base}/cancel", {"reason": "Holiday"}, page=f"{base}/edit").status_code
        == 302
    )
    db.session.refresh(second)
    assert second.is_cancelled
    assert "Holiday" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_cosponsor_flow(client, db, org):
    partner = OrganizationFactory()
    member_of(partner, OrgRole.owner, email="partner@example.org")
    event = make_event(org, title="Shared march")
    client.login("org@example.org")
    response = client.submit(f"/events/{event.id}/cosponsors", {"org": partner.slug},
                             page=f"/events/{event.id}/cosponsors")  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(sa.select(OutgoingEmail.recipient).where(
        OutgoingEmail.kind == "cosponsor_invitation")) == "partner@example.org"  # fmt: skip
    client.logout()
    client.login("partner@example.org")
    cosponsor = db.session.scalar(sa.select(EventCosponsor))
    url = f"/orgs/{partner.slug}/cosponsorships/{cosponsor.id}/accept"
    assert client.submit(url, page=f"/orgs/{partner.slug}/cosponsorships").status_code == 302
    assert "Shared march" in client.get(f"/orgs/{partner.slug}").get_data(as_text=True)
    # A co-sponsor sees the event but cannot edit it.
    assert client.get(f"/events/{event.id}/edit").status_code == 403
    assert client.submit(url, page="/").status_code == 409  # answered already


def test_moderation_queue(client, db, org):
    set_setting("events_require_approval", True)
    UserFactory(email="admin@example.org", is_admin=True)
    db.session.commit()
    client.login("org@example.org")
    _create(client, org)
    event = db.session.scalar(sa.select(Event))
    client.submit(f"/events/{event.id}/publish", page=f"/events/{event.id}")
    db.session.refresh(event)
    assert event.status == EventStatus.pending
    client.logout()
    assert "Rally at City Hall" not in client.get("/calendar").get_data(as_text=True)
    client.login("admin@example.org")
    assert "Rally at City Hall" in client.get("/admin/events/pending").get_data(as_text=True)
    assert (
        client.submit(f"/admin/events/{event.id}/approve", page="/admin/events/pending").status_code
        == 302
    )
    db.session.refresh(event)
    assert event.status == EventStatus.published
    response = client.submit(f"/admin/events/{event.id}/unpublish", {"reason": "Wrong date"},
                             page="/admin/events/pending")  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(event)
    assert (event.status, event.moderation_note) == (EventStatus.draft, "Wrong date")
    kinds = db.session.scalars(sa.select(OutgoingEmail.kind)).all()
    assert {"event_pending", "event_approved", "event_unpublished"} <= set(kinds)


def test_suspended_orgs_cannot_post(client, db, org):
    org.status = OrgStatus.suspended
    db.session.commit()
    client.login("org@example.org")
    assert client.get(f"/orgs/{org.slug}/events/new").status_code == 403
