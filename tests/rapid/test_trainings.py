"""Trainings of the calendar feed the roster: the hosts invite the people checked in at a training
date, each joins (or not) by their own link, and the roster records the training and its date."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from coalition.auth.models import User
from coalition.erasure import erase
from coalition.extensions import db
from coalition.mail.models import EmailStatus, OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rapid.models import Responder, TrainingInvitation
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP, AuditEntry
from tests.factories import OrganizationFactory, make_event, member_of
from tests.rapid.conftest import add_responder

BUTTON = "Invite the people checked in to the responders"
CARO = "+16175550177"
JOIN = {
    "name": "Caro",
    "phone": CARO,
    "email": "",
    "use_sms": "y",
    "locale": "pt",
    "towns": "Holyoke",
    "roles": ["responder"],
    "languages": ["pt"],
    "availability": "always",
    "zone": "America/New_York",
}


@pytest.fixture
def training(org):
    """A training of the Pioneer Valley center at 10 PM on 6 November 2027 (3 AM the next day in
    UTC: its day is the one on the event's wall clock), with three people checked in (one who gave
    only a phone) and one who did not come."""
    host = member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(
        org, by=host, type_slug="training",
        texts={"en": ("Know your rights", "Rapid response 101."),
               "es": ("Conoce tus derechos", "Respuesta rápida 101.")},
        start_date=date(2027, 11, 6), start_time=time(22, 0), end_time=time(23, 30),
    )  # fmt: skip
    occurrence = event.occurrences[0]
    people = {}
    for name, contact, language in (
        ("Ana", {"email": "ana@example.org"}, "es"),
        ("Bea", {"email": "bea@example.org"}, "en"),
        ("Caro", {"phone": CARO}, "pt"),
        ("Dee", {"email": "dee@example.org"}, "en"),
    ):
        result = rsvp_ops.submit(
            occurrence, rsvp_ops.RSVPInput(name=name, language=language, **contact), notify=False
        )
        people[name] = result.rsvp
    db.session.commit()
    return event, occurrence, people, f"/events/{event.id}/occurrences/{occurrence.id}"


def _check_in(client, base, *rsvps):
    client.login("host@example.org")
    for rsvp in rsvps:
        response = client.submit(f"{base}/checkin/{rsvp.id}", page=f"{base}/checkin")
        assert response.status_code == 302


def _invitations():
    return db.session.scalars(
        sa.select(OutgoingEmail)
        .where(OutgoingEmail.kind == "rapid_training_invite")
        .order_by(OutgoingEmail.id)
    ).all()


def _path(text: str) -> str:
    return re.search(r"http://localhost(/rapid/join/[\w.\-]+)", text).group(1)


def test_checked_in_people_are_invited_once_and_join_with_their_training(
    client, training, smtp, provider, deliver
):
    _event, occurrence, people, base = training
    _check_in(client, base, people["Ana"], people["Bea"], people["Caro"])
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert BUTTON in page and "3 people checked in" in page

    response = client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
    assert response.status_code == 303
    followed = client.get(response.location).get_data(as_text=True)
    assert "Invitations sent to 3 people (2 by email, 1 by text)." in followed
    rows = _invitations()
    assert sorted(r.channel for r in rows) == ["email", "email", "sms"]
    assert {r.rsvp_id for r in rows} == {people[n].id for n in ("Ana", "Bea", "Caro")}
    # Each in the person's language; Dee did not come and gets nothing.
    ana = next(r for r in rows if r.rsvp_id == people["Ana"].id)
    assert "Conoce tus derechos" in ana.body_text and "6 de noviembre de 2027" in ana.body_text
    caro = next(r for r in rows if r.channel == "sms")
    assert caro.recipient == CARO and "treinamento" in caro.body_text
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "message")).one()
    assert entry.detail == "rapid response invitations: 3 recipients"

    # Pressed again: nobody is invited twice.
    again = client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
    assert "Nobody new to invite" in client.get(again.location).get_data(as_text=True)
    assert len(_invitations()) == 3
    assert db.session.scalar(sa.select(sa.func.count(TrainingInvitation.id))) == 3
    client.logout()

    # The messages leave by SMTP and the SMS provider, each with a working link.
    deliver()
    assert {r.status for r in _invitations()} == {EmailStatus.sent}
    mails = {tuple(to): m for to, m in smtp.messages}
    bea_mail = mails[("bea@example.org",)]
    assert bea_mail["Subject"] == "Join the rapid response network of Pioneer Valley Workers Center"
    bea_path = _path(bea_mail.get_body(preferencelist=("plain",)).get_content())
    ana_path = _path(mails[("ana@example.org",)].get_body(("plain",)).get_content())
    (text,) = provider.bodies_to(CARO)
    caro_path = _path(text)

    # Bea's page: her training and its date, the rest hers to choose, and a way to say no.
    bea_page = client.get(bea_path).get_data(as_text=True)
    assert "You completed: Know your rights on Saturday, November 6, 2027" in bea_page
    assert 'name="training"' not in bea_page and "No, thank you" in bea_page
    no = client.get(bea_path + "/no")
    assert no.status_code == 200 and "Nothing was stored" in no.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 0
    # Ana's page names the training in Spanish (her RSVP's language).
    assert "Conoce tus derechos" in client.get(ana_path).get_data(as_text=True)

    # Caro joins: her form is in Portuguese by default, and the training is recorded.
    assert '<option selected value="pt">' in client.get(caro_path).get_data(as_text=True)
    joined = client.submit(caro_path, JOIN, page=caro_path)
    assert joined.status_code == 200
    assert "We sent your private link" in joined.get_data(as_text=True)
    responder = db.session.scalar(sa.select(Responder))
    assert responder.training == "Know your rights"
    assert responder.trained_on == date(2027, 11, 6)
    assert responder.training_occurrence_id == occurrence.id
    assert responder.locale == "pt" and responder.towns == ["holyoke"]
    # The link worked once.
    assert client.get(caro_path).status_code == 404
    assert client.submit(caro_path, JOIN, page=bea_path).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 1


def test_a_training_link_does_not_change_a_responder_already_on_the_roster(client, org, training):
    """Possession, not knowledge: typing someone's phone changes nothing of theirs."""
    _event, _occurrence, people, base = training
    existing = add_responder(org, phone=CARO, name="Carolina")
    db.session.commit()
    _check_in(client, base, people["Caro"])
    client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
    client.logout()
    path = _path(_invitations()[0].body_text)
    response = client.submit(path, {**JOIN, "name": "Someone"}, page=path)
    assert "We sent your private link" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 1
    kept = db.session.get(Responder, existing.id)
    assert kept.name == "Carolina" and kept.training == "Rapid response 101"


def test_erasing_the_rsvp_erases_its_invitation_and_its_link(client, training):
    _event, _occurrence, people, base = training
    _check_in(client, base, people["Ana"])
    client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
    client.logout()
    (message,) = _invitations()
    path = _path(message.body_text)
    assert client.get(path).status_code == 200
    erase(db.session.get(RSVP, people["Ana"].id))
    db.session.commit()
    db.session.expire_all()
    (message,) = _invitations()
    assert message.recipient == "" and message.body_text == ""
    assert message.status == EmailStatus.cancelled and message.erased_at is not None
    assert client.get(path).status_code == 404
    assert client.get(path + "/no").status_code == 404


def test_people_who_cannot_be_reached_are_counted_not_invited(client, app, training):
    _event, _occurrence, people, base = training
    app.config["SMS_BACKEND"] = "none"
    try:
        _check_in(client, base, people["Bea"], people["Caro"])
        response = client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
        page = client.get(response.location).get_data(as_text=True)
    finally:
        app.config["SMS_BACKEND"] = "twilio"
    assert "Invitation sent to 1 person (1 by email, 0 by text)." in page
    assert "1 person checked in cannot be reached" in page
    assert [r.channel for r in _invitations()] == ["email"]
    assert db.session.scalar(sa.select(sa.func.count(TrainingInvitation.id))) == 1


def test_a_date_that_is_no_training_offers_no_invitation(client, org, training):
    _event, _occurrence, _people, _base = training
    host = db.session.scalar(sa.select(User).where(User.email == "host@example.org"))
    rally = make_event(org, by=host, type_slug="rally")
    occurrence = rally.occurrences[0]
    rsvp = rsvp_ops.submit(
        occurrence, rsvp_ops.RSVPInput(name="Eve", email="eve@example.org"), notify=False
    ).rsvp
    db.session.commit()
    base = f"/events/{rally.id}/occurrences/{occurrence.id}"
    _check_in(client, base, rsvp)
    assert BUTTON not in client.get(f"{base}/attendees").get_data(as_text=True)
    response = client.submit(f"{base}/rapid-invitations", page=f"{base}/attendees")
    assert response.status_code == 404
    assert _invitations() == []


@pytest.mark.parametrize("who", ["other", "partner", "member", "anonymous"])
def test_only_the_hosts_invite(client, org, training, who):
    from coalition.events import lifecycle as event_lifecycle

    event, _occurrence, people, base = training
    _check_in(client, base, people["Ana"])
    client.logout()
    other = OrganizationFactory()
    member_of(other, OrgRole.organizer, email="other@example.org")
    partner_org = OrganizationFactory()
    member_of(partner_org, OrgRole.organizer, email="partner@example.org")
    invitation = event_lifecycle.invite_cosponsor(event, partner_org)
    event_lifecycle.respond_to_cosponsorship(invitation, accept=True)
    member_of(org, OrgRole.member, email="member@example.org")
    db.session.commit()
    if who != "anonymous":
        client.login(f"{who}@example.org")
        assert BUTTON not in client.get(f"{base}/attendees").get_data(as_text=True)
    response = client.submit(f"{base}/rapid-invitations")
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == 403
    assert _invitations() == []


def test_a_draft_training_is_not_found_by_others(client, org):
    from coalition.events.models import EventStatus

    host = member_of(org, OrgRole.organizer)
    draft = make_event(org, by=host, type_slug="training", status=EventStatus.draft)
    member_of(OrganizationFactory(), OrgRole.organizer, email="other@example.org")
    db.session.commit()
    client.login("other@example.org")
    base = f"/events/{draft.id}/occurrences/{draft.occurrences[0].id}"
    assert client.submit(f"{base}/rapid-invitations").status_code == 404


def test_the_invitation_text_keeps_its_link_whole_in_every_language(app, org, training):
    from coalition.rapid import operations as ops
    from coalition.sms.segments import count_segments

    _event, occurrence, people, _base = training
    org.name = "Centro de Trabajadores y Trabajadoras Inmigrantes del Valle del Pioneer"
    for language in ("en", "es", "ht", "pt"):
        people["Caro"].language = language
        people["Caro"].checked_in_at = ops.utcnow()
        db.session.query(TrainingInvitation).delete()
        db.session.flush()
        ops.invite_trainees(occurrence, None)
        text = db.session.scalars(
            sa.select(OutgoingEmail).where(OutgoingEmail.channel == "sms")
            .order_by(OutgoingEmail.id.desc())
        ).first()  # fmt: skip
        token = _path(text.body_text).removeprefix("/rapid/join/")
        assert ops.read_invitation(token).training is not None, language  # whole and valid
        assert count_segments(text.body_text).segments <= 3
    db.session.rollback()


def test_dispatchers_filter_and_sort_the_roster_by_training_date(client, org, dispatcher):
    for name, day in (("Old", date(2025, 3, 1)), ("Mid", date(2026, 6, 1)),
                      ("New", date(2026, 10, 4)), ("Undated", None)):  # fmt: skip
        responder = add_responder(org, email=f"{name.lower()}@example.org", name=name)
        responder.trained_on = day
    db.session.commit()
    client.login(dispatcher.email)
    roster = f"/orgs/{org.slug}/rapid/roster"

    def names(query: str) -> list[str]:
        page = client.get(roster + query).get_data(as_text=True)
        return re.findall(r'data-label="Name">(\w+)', page)

    assert names("") == ["Old", "Mid", "New", "Undated"]
    assert names("?sort=trained_newest") == ["New", "Mid", "Old", "Undated"]
    assert names("?sort=trained_oldest") == ["Old", "Mid", "New", "Undated"]
    assert names("?trained_from=2026-01-01&sort=trained_oldest") == ["Mid", "New"]
    assert names("?trained_from=2026-01-01&trained_to=2026-06-30") == ["Mid"]
    page = client.get(roster + "?trained_from=2026-01-01").get_data(as_text=True)
    assert '<time datetime="2026-10-04">' in page
    bad = client.get(roster + "?trained_from=yesterday")
    assert bad.status_code == 400 and "use dates like" in bad.get_data(as_text=True)


def test_organizers_pressing_at_once_invite_nobody_twice(app, backend, training):
    """Under the date's row lock on PostgreSQL: four presses at the same moment, two messages."""
    import threading

    from coalition import create_app
    from coalition.rapid import operations as ops

    if backend != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL")
    _event, occurrence, people, _base = training
    for name in ("Ana", "Bea"):
        people[name].checked_in_at = ops.utcnow()
    db.session.commit()
    concurrent = create_app({
        "CONFIG_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 8, "max_overflow": 2, "pool_timeout": 60},
    })  # fmt: skip
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    occurrence_id = occurrence.id

    def press():
        from coalition.events.models import Occurrence

        try:
            barrier.wait()
            with concurrent.app_context():
                try:
                    ops.invite_trainees(db.session.get(Occurrence, occurrence_id), None)
                    db.session.commit()
                    result = "ok"
                except Exception as exc:  # reported by the assertion
                    db.session.rollback()
                    result = repr(exc)
                finally:
                    db.session.remove()
        except Exception as exc:  # pragma: no cover - reported by the assertion
            result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with concurrent.app_context():
        db.engine.dispose()
    assert outcomes == ["ok"] * 4
    db.session.expire_all()
    assert len(_invitations()) == 2
    assert db.session.scalar(sa.select(sa.func.count(TrainingInvitation.id))) == 2
