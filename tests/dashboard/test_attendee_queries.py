"""Issue 26: the organizer's attendee list and the delegation lead's roster cost the same SQL
statements for a date of 10 RSVPs and one of 1,000, decrypt only the contacts they show, still
record every look (committed) before the page is shown, and escape what people typed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from coalition.crypto import ContactKeys
from coalition.delegations import operations as delegation_ops
from coalition.delegations.models import Delegation
from coalition.orgs.models import OrgRole
from coalition.rsvps.models import RSVP, AuditEntry
from tests.factories import OrganizationFactory, make_event, member_of


@pytest.fixture
def date_of(db):
    """An event's date, its organizer signed in by the test, and a delegation of it."""
    host = OrganizationFactory()
    organizer = member_of(host, OrgRole.organizer, email="host@example.org")
    event = make_event(host, by=organizer)
    occurrence = event.occurrences[0]
    bus = delegation_ops.DelegationInput(
        name="Worcester bus", town="Worcester", lead_name="Rosa", lead_email="rosa@example.org"
    )
    delegation = delegation_ops.start(occurrence, bus)
    db.session.commit()
    return event, occurrence, delegation


def _add(db, occurrence, delegation, first: int, count: int) -> None:
    """RSVPs of every kind: email or phone only, in the delegation or not, sharing or not."""
    db.session.add_all(
        RSVP(occurrence_id=occurrence.id, name=f"Marcher {n:04d}",
             email=f"m{n}@example.org" if n % 3 else None,
             phone=f"+1617555{n:04d}" if n % 3 == 0 else None,
             delegation_id=delegation.id if n % 5 == 0 else None,
             shares_contact_with_lead=n % 2 == 0, needs_ride=n % 7 == 0,
             status=("confirmed", "confirmed", "waitlisted", "cancelled")[n % 4])
        for n in range(first, first + count)
    )  # fmt: skip
    db.session.commit()


class _Decrypts:
    """How many contacts a request decrypts (the real `ContactKeys.decrypt`, counted)."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = ContactKeys.decrypt

        def counted(keys, token):
            self.count += 1
            return real(keys, token)

        monkeypatch.setattr(ContactKeys, "decrypt", counted)


def _look(client, queries, url: str, decrypts: _Decrypts | None = None):
    """The first look after a change (which renders the rows: `decrypts.first` counts what it
    decrypts), then another one (kept rows: its statements returned, `decrypts.count`)."""
    if decrypts is not None:
        decrypts.count = 0
    client.get(url)
    if decrypts is not None:
        decrypts.first, decrypts.count = decrypts.count, 0
    with queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return response.text, statements


def test_the_attendee_list_costs_the_same_for_10_or_1000_rsvps(client, db, queries, date_of,
                                                               monkeypatch):  # fmt: skip
    event, occurrence, delegation = date_of
    url = f"/events/{event.id}/occurrences/{occurrence.id}/attendees"
    client.login("host@example.org")
    _add(db, occurrence, delegation, 0, 10)
    small_body, small = _look(client, queries, url)
    assert "Marcher 0001" in small_body and "m1@example.org" in small_body
    _add(db, occurrence, delegation, 10, 990)
    decrypts = _Decrypts(monkeypatch)
    body, large = _look(client, queries, url, decrypts)
    assert len(large) == len(small), [s for s in large if s not in small][:2]
    assert len(large) <= 15, large
    # A page of 50 (the first by status, then name: the cancelled ones), its contacts and
    # nothing more: at most one contact per row, and the numbers of the "texts cannot reach"
    # notice (50 of those who gave only a phone).
    assert "Page 1 of 20" in body
    assert "Marcher 0007" in body and "m7@example.org" in body
    assert "Marcher 0998" not in body and "m998@example.org" not in body
    assert body.count("<tr>") - 1 == 50  # the header row
    # The rows, the notice, the delegation lead's contact; then, rows kept: nothing.
    assert decrypts.first <= 50 + 50 + 2
    assert decrypts.count <= 2


def test_the_roster_of_200_costs_what_a_roster_of_10_does(client, db, queries, date_of,
                                                          monkeypatch):  # fmt: skip
    _event, occurrence, delegation = date_of
    lead_url = f"/delegations/lead/{delegation_ops.lead_token(delegation)}"
    _add(db, occurrence, delegation, 0, 50)  # 10 in the delegation
    _small_body, small = _look(client, queries, lead_url)
    _add(db, occurrence, delegation, 50, 950)  # 200 in it
    decrypts = _Decrypts(monkeypatch)
    body, large = _look(client, queries, lead_url, decrypts)
    decrypted, again = decrypts.first, decrypts.count
    monkeypatch.undo()
    assert len(large) == len(small), [s for s in large if s not in small][:2]
    assert len(large) <= 8, large
    members = db.session.scalars(
        sa.select(RSVP).where(RSVP.delegation_id == delegation.id, RSVP.status != "cancelled")
    ).all()
    sharing = [m for m in members if m.shares_contact_with_lead]
    assert len(members) == 150 and body.count('class="small danger"') == 150
    # Only the contacts shared with the lead are decrypted (and the lead's own); then, the
    # rows kept, the lead's own only.
    assert decrypted == len(sharing) + 1
    assert again == 1
    shared, kept = sharing[0], next(m for m in members if not m.shares_contact_with_lead)
    assert (shared.email or shared.phone) in body
    assert (kept.email or kept.phone) not in body


def test_every_look_is_committed_before_the_page_is_shown(client, db, date_of):
    """The look is recorded in the transaction that read what the page shows, and committed
    before the page is sent: no page goes out without its entry in the audit log."""
    event, occurrence, delegation = date_of
    _add(db, occurrence, delegation, 0, 20)
    pages = [f"/events/{event.id}/occurrences/{occurrence.id}/attendees",
             f"/delegations/lead/{delegation_ops.lead_token(delegation)}"]  # fmt: skip
    seen: list[str] = []
    listen = [("before_cursor_execute", lambda _c, _cur, statement, *_: seen.append(statement)),
              ("commit", lambda _c: seen.append("COMMIT"))]  # fmt: skip
    for name, listener in listen:
        sa.event.listen(db.engine, name, listener)
    try:
        client.login("host@example.org")
        looks = []
        for url in pages:
            seen.clear()
            client.get(url)
            looks.append(list(seen))
    finally:
        for name, listener in listen:
            sa.event.remove(db.engine, name, listener)
    for statements in looks:
        audit = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO audit"))
        contacts = next(i for i, s in enumerate(statements)
                        if s.startswith("SELECT") and "rsvps.email" in s)  # fmt: skip
        # The rows, then the entry, then the one COMMIT: the last thing before the page.
        assert contacts < audit and statements.index("COMMIT") == len(statements) - 1
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["view_attendees", "view_roster"]

    # A look whose entry cannot be committed shows nothing (a new member: rows read again).
    _add(db, occurrence, delegation, 20, 5)

    class Refused(Exception):
        pass

    def refuse(_connection):
        raise Refused

    sa.event.listen(db.engine, "commit", refuse)
    try:
        for url in pages:
            with pytest.raises(Refused):  # the request ends in the error: no page at all
                client.get(url)
    finally:
        sa.event.remove(db.engine, "commit", refuse)


def test_what_people_typed_is_escaped_in_both_lists(client, db, date_of):
    event, occurrence, delegation = date_of
    db.session.add(RSVP(occurrence_id=occurrence.id, delegation_id=delegation.id,
                        name='<script>alert("x")</script>', email="a&b@example.org",
                        note="wheelchair & <b>ramp</b>", shares_contact_with_lead=True,
                        needs_interpretation=True))  # fmt: skip
    db.session.commit()
    client.login("host@example.org")
    pages = [f"/events/{event.id}/occurrences/{occurrence.id}/attendees",
             f"/delegations/lead/{delegation_ops.lead_token(delegation)}"]  # fmt: skip
    for url in pages:
        body = client.get(url).text
        assert "<script>alert" not in body and "<b>ramp</b>" not in body, url
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, url
        assert "wheelchair &amp; &lt;b&gt;ramp&lt;/b&gt;" in body, url
        assert 'href="mailto:a&amp;b@example.org"' in body, url
        assert "interpretation" in body, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 1
