"""The attendee list is rendered once per change of the date's RSVPs and kept in the process
(`core/kept.py`): a second look decrypts and writes nothing again, and every change, even two in
one tick of a stopped clock, shows on the very next look."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from coalition import erasure
from coalition.core.kept import KeptCopies, kept_copies
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation
from coalition.orgs.models import OrgRole
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from tests.factories import OrganizationFactory, make_event, member_of

#: What the list shows of a person.
PERSONAL = ("name", "email", "phone", "note")
#: A stopped clock: every change below happens in the same instant as the look before it.
STOPPED = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def march(db):
    with time_machine.travel(STOPPED, tick=False):
        host = OrganizationFactory()
        member_of(host, OrgRole.organizer, email="host@example.org")
        member_of(host, OrgRole.organizer, email="second@example.org")
        event = make_event(host)
        occurrence = event.occurrences[0]
        bus = delegation_ops.start(occurrence, delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name="Rosa",
            lead_email="rosa@example.org"))  # fmt: skip
        delegation_ops.join(bus, rsvp_ops.RSVPInput(name="Carla", email="carla@example.org"))
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Dee", email="dee@example.org"))
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Eli", phone="+16175550111"))
        db.session.commit()
        yield f"/events/{event.id}/occurrences/{occurrence.id}/attendees", occurrence


def _rsvp(db, name: str) -> RSVP:
    return db.session.scalar(sa.select(RSVP).where(RSVP.name == name))


def _look(client, path: str, **params) -> str:
    response = client.get(path, query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_second_look_reads_no_attendee_and_renders_nothing(client, march, app, queries):
    path, _occurrence = march
    with time_machine.travel(STOPPED, tick=False):
        client.login("host@example.org")
        first = _look(client, path)
        assert "dee@example.org" in first and "tel:+16175550111" in first
        renders = kept_copies("dashboard").renders
        with queries() as statements:
            again = _look(client, path)
        assert kept_copies("dashboard").renders == renders
        assert again.partition("<h1>")[2] == first.partition("<h1>")[2]
        # The page still counts (one aggregate) but reads no attendee's name or contact.
        read = [s.partition("FROM")[0] for s in statements]
        assert not [s for s in read if any(f"rsvps.{c}," in s + "," for c in PERSONAL)]
        # Another organizer is shown the same copy; the look is recorded for each.
        client.logout()
        client.login("second@example.org")
        assert "dee@example.org" in _look(client, path)
        assert kept_copies("dashboard").renders == renders


def _check_in(db, occurrence):
    _rsvp(db, "Dee").checked_in_at = STOPPED


def _rename(db, occurrence):
    _rsvp(db, "Dee").name = "Deena"


def _new_email(db, occurrence):
    _rsvp(db, "Dee").email = "deena@example.org"


def _erase_one(db, occurrence):
    erasure.erase(_rsvp(db, "Dee"), STOPPED)


def _erase_in_bulk(db, occurrence):  # a bulk UPDATE, as the purge does it
    erasure.erase_where(RSVP, RSVP.name == "Dee", STOPPED)


def _delete_row(db, occurrence):
    db.session.execute(sa.delete(RSVP).where(RSVP.name == "Dee"))


def _rename_the_delegation(db, occurrence):
    db.session.scalar(sa.select(Delegation)).name = "Worcester van"


def _someone_new(db, occurrence):
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Fay", email="fay@example.org"))


@pytest.mark.parametrize(
    ("change", "shown", "gone"),
    [
        (_check_in, "(checked in)", None),
        (_rename, "Deena", ">Dee<"),
        (_new_email, "deena@example.org", "dee@example.org"),
        (_erase_one, None, "dee@example.org"),
        (_erase_in_bulk, None, "dee@example.org"),
        (_delete_row, None, "dee@example.org"),
        (_rename_the_delegation, "Worcester van", "Worcester bus"),
        (_someone_new, "fay@example.org", None),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_every_change_shows_on_the_next_look_even_in_the_same_instant(
    client, march, db, change, shown, gone
):
    path, occurrence = march
    with time_machine.travel(STOPPED, tick=False):
        client.login("host@example.org")
        before = _look(client, path)
        assert "dee@example.org" in before and "(checked in)" not in before
        change(db, occurrence)
        db.session.commit()
        after = _look(client, path)
        if shown:
            assert shown in after
        if gone:
            assert gone not in after


def test_each_search_page_and_language_is_its_own_copy(client, march):
    path, _occurrence = march
    client.login("host@example.org")
    assert "dee@example.org" in _look(client, path)
    found = _look(client, path, q="eli")
    assert "tel:+16175550111" in found and "dee@example.org" not in found
    assert "No one by that name." in _look(client, path, q="nobody")
    assert "dee@example.org" in _look(client, path, page=9)  # past the end: the last page
    client.submit("/language", {"language": "es"})
    spanish = _look(client, path)
    assert "Nombre" in spanish and "dee@example.org" in spanish
    assert "No one by that name." not in _look(client, path, q="nobody")


def test_the_revision_rises_with_every_update_even_in_bulk(march, db):
    _path, _occurrence = march
    dee = _rsvp(db, "Dee")
    start = dee.revision
    dee.party_size = 2
    db.session.commit()
    assert db.session.scalar(sa.select(RSVP.revision).where(RSVP.id == dee.id)) == start + 1
    db.session.execute(sa.update(RSVP).where(RSVP.id == dee.id).values(party_size=3))
    db.session.commit()
    assert db.session.scalar(sa.select(RSVP.revision).where(RSVP.id == dee.id)) == start + 2


def test_kept_copies_leave_memory_after_their_time(app):
    store = KeptCopies(max_age=timedelta(seconds=60))
    made = STOPPED
    assert store.get(("a",), "v1", made, lambda: "Dee, dee@example.org") == "Dee, dee@example.org"
    assert store.get(("a",), "v1", made + timedelta(seconds=30), lambda: "new") == (
        "Dee, dee@example.org"
    )
    # Another key is looked at later: the old copy is dropped, not only left unserved.
    store.get(("b",), "v1", made + timedelta(seconds=61), lambda: "other")
    assert len(store) == 1
    assert store.get(("a",), "v1", made + timedelta(seconds=62), lambda: "new") == "new"
    # A new version replaces the old copy at once.
    assert store.get(("a",), "v2", made + timedelta(seconds=63), lambda: "newer") == "newer"
    assert len(store) == 2


# The delegation lead's roster: the same, with each viewer's own CSRF field in the kept rows.


def _roster_url(db) -> str:
    return (
        f"/delegations/lead/{delegation_ops.lead_token(db.session.scalar(sa.select(Delegation)))}"
    )


def _join(db, occurrence):
    bus = db.session.scalar(sa.select(Delegation))
    delegation_ops.join(bus, rsvp_ops.RSVPInput(name="Gil", email="gil@example.org"))


def _lead_renamed(db, occurrence):
    db.session.scalar(sa.select(Delegation)).lead_name = "Rosalind"


@pytest.mark.parametrize(
    ("change", "shown", "gone"),
    [
        (_rename, None, None),  # Dee is not in the delegation: nothing to show, no error
        (lambda db, o: setattr(_rsvp(db, "Carla"), "name", "Carlota"), "Carlota", "Carla<"),
        (lambda db, o: erasure.erase(_rsvp(db, "Carla"), STOPPED), None, "Carla"),
        (_join, "Gil", None),
        (_lead_renamed, "Rosalind", None),
    ],
    ids=["other", "rename", "erase", "join", "lead"],
)
def test_the_roster_shows_every_change_on_the_next_look(client, march, db, change, shown, gone):
    with time_machine.travel(STOPPED, tick=False):
        url = _roster_url(db)
        assert "Carla" in _look(client, url)
        change(db, march[1])
        db.session.commit()
        after = _look(client, url)
        if shown:
            assert shown in after
        if gone:
            assert gone not in after


def test_a_kept_roster_serves_each_viewer_their_own_csrf_field(make_client, march, db):
    url = _roster_url(db)
    first, second = make_client(), make_client()
    mine, theirs = (c.csrf_token(url) for c in (first, second))
    assert mine != theirs
    renders = kept_copies("delegations").renders
    page = _look(second, url)
    assert kept_copies("delegations").renders == renders  # the copy the first look made
    carla = _rsvp(db, "Carla")
    # The remove buttons submit the one form that holds the second viewer's field.
    form = page[page.index('<form method="post" id="roster-remove"') :]
    assert f'value="{theirs}"' in form[: form.index("</form>")]
    assert (
        f'form="roster-remove" class="small danger" formaction="{url}/members/{carla.id}/remove"'
        in page
    )
    assert f'value="{mine}"' not in page
    response = second.post(f"{url}/members/{carla.id}/remove", data={"csrf_token": theirs})
    assert response.status_code == 303
    db.session.expire_all()
    assert _rsvp(db, "Carla").status == "cancelled"
    assert "Carla" not in _look(first, url)
