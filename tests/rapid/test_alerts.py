"""Alerts: the phone form, one transaction for every message, answers by link and by text,
live list, updates, rings, closing, erasure that leaves counts."""

import re
from datetime import timedelta
from uuid import uuid4

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, EmailStatus, OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rapid import operations as ops
from coalition.rapid.models import Alert, AlertSummary, Answer, AnswerState
from coalition.rsvps.models import AuditEntry
from coalition.settings.operations import set_setting
from tests.factories import OrganizationFactory, member_of
from tests.rapid.conftest import add_responder, alert_input, phone
from tests.sms.fake_provider import AUTH_TOKEN


def _messages(**where):
    query = sa.select(OutgoingEmail).filter_by(**where).order_by(OutgoingEmail.id)
    return db.session.scalars(query).all()


def _reply(client, body, number):
    form = {"From": number, "To": "+16175550000", "Body": body, "MessageSid": f"SM{uuid4().hex}"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/sms/inbound", form)
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def _link(text: str) -> str:
    return re.search(r"http://localhost(/r/\S+)", text).group(1)


def test_the_phone_form_sends_the_alert_to_matching_responders(client, org, dispatcher, provider):
    ana = add_responder(org, phone=phone(1), name="Ana", locale="es")
    add_responder(org, phone=phone(2), towns=("Amherst",))
    bea = add_responder(org, email="bea@example.org", name="Bea", locale="en", use_sms=False)
    db.session.commit()
    client.login(dispatcher.email)
    page = f"/orgs/{org.slug}/rapid/alerts/new"
    response = client.submit(
        page, {"kind": "raid", "town": "springfield ", "place": "Main St & 5th", "needed": "3"},
        page=page,
    )  # fmt: skip
    assert response.status_code == 302
    alert = db.session.scalar(sa.select(Alert))
    assert {a.responder_id for a in alert.answers} == {ana.id, bea.id}
    text = _messages(channel=Channel.sms)[0]
    assert text.recipient == ana.phone and text.segments <= 2
    assert "REDADA" in text.body_text and "Main St & 5th" in text.body_text
    assert "Responda 1" in text.body_text
    email = _messages(channel=Channel.email)[0]
    assert email.recipient == "bea@example.org" and "ALERT: Raid in springfield" in email.subject
    # A bad form: 400, a clear message, nothing sent.
    bad = client.submit(page, {"kind": "raid", "town": "", "place": "", "needed": "0"}, page=page)
    assert bad.status_code == 400 and db.session.scalar(sa.select(sa.func.count(Alert.id))) == 1


def test_answers_by_link_and_by_text_reach_the_dispatchers_live_list(
    client, make_client, org, dispatcher, provider
):
    add_responder(org, phone=phone(1), name="Ana", locale="es")
    add_responder(org, phone=phone(2), name="Bruno", locale="pt")
    add_responder(org, email="cam@example.org", name="Cam", locale="en", use_sms=False)
    alert = ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    texts = {m.recipient: m.body_text for m in _messages(channel=Channel.sms)}
    # Ana answers by text in Spanish; Bruno says no in Portuguese.
    answer = _reply(client, "Si", phone(1)).get_data(as_text=True)
    assert "Gracias" in answer
    assert "Obrigad" in _reply(client, "não", phone(2)).get_data(as_text=True)
    # Cam follows the emailed link and says "on my way, 15 minutes", then arrives.
    cam = make_client()
    email = _messages(channel=Channel.email)[0]
    link = _link(email.body_text)
    page = cam.get(link, follow_redirects=True)
    assert page.status_code == 200 and "Main St &amp; 5th" in page.get_data(as_text=True)
    target = page.request.path
    cam.submit(target, {"state": "going", "eta": "15"}, page=target)
    # The dispatcher's fragment (what rapid.js fetches) shows all of it.
    client.login(dispatcher.email)
    live = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}/answers").get_data(as_text=True)
    assert "Ana</strong>: On my way" in live
    assert "Bruno</strong>: Can&#39;t" in live or "Bruno</strong>: Can't" in live
    assert "Cam</strong>: On my way, ETA 15 min" in live
    cam.submit(target, {"state": "arrived"}, page=target)
    live = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}/answers").get_data(as_text=True)
    assert "Cam</strong>: Arrived" in live and "Arrived: 1" in live
    full = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in full and "<noscript>" in full and "rapid.js" in full
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "view_alert")
    ) >= 2  # fmt: skip
    # STOP still works for someone with an open alert; other words are the usual replies.
    assert "no more texts" in _reply(client, "STOP", phone(1)).get_data(as_text=True)
    assert texts  # the texts were queued


def test_a_reply_without_an_open_alert_is_an_ordinary_reply(client, org, dispatcher, provider):
    add_responder(org, phone=phone(1))
    alert = ops.open_alert(org, dispatcher, alert_input())
    ops.close_alert(alert, "ICE left")
    db.session.commit()
    response = _reply(client, "1", phone(1)).get_data(as_text=True)
    assert "Gracias" not in response
    assert db.session.scalar(sa.select(Answer.state)) == AnswerState.alerted


def test_only_the_orgs_dispatchers_see_an_alert(client, org, dispatcher):
    alert = ops.open_alert(org, dispatcher, alert_input())
    stranger = member_of(OrganizationFactory(), OrgRole.owner)
    organizer = member_of(org, OrgRole.organizer)
    db.session.commit()
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    for person in (organizer, stranger):
        client.login(person.email)
        assert client.get(url).status_code == 403
        assert client.get(url + "/answers").status_code == 403
        assert client.get(f"/orgs/{org.slug}/rapid/alerts/99999").status_code == 403
        client.logout()


def test_updates_go_to_everyone_going_or_everyone_alerted(client, org, dispatcher, provider):
    add_responder(org, phone=phone(1))
    add_responder(org, phone=phone(2))
    alert = ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    _reply(client, "1", phone(1))
    client.login(dispatcher.email)
    page = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    client.submit(page + "/update", {"body": "ICE has left", "audience": "going"}, page=page)
    updates = _messages(kind="rapid_update")
    assert [m.recipient for m in updates] == [phone(1)]
    assert "ICE has left" in updates[0].body_text
    client.submit(page + "/update", {"body": "Stand down", "audience": "all"}, page=page)
    assert len(_messages(kind="rapid_update")) == 3


def test_rings_alert_more_people_when_not_enough_said_yes(client, org, dispatcher):
    for n in range(45):
        add_responder(org, phone=phone(n))
    now = utcnow()
    alert = ops.open_alert(
        org, dispatcher, alert_input(needed=3, ring_size=20, ring_minutes=5), now
    )
    db.session.commit()
    assert len(alert.answers) == 20 and alert.next_ring_at == now + timedelta(minutes=5)
    assert ops.ring_due(now + timedelta(minutes=4)) == 0
    ops.answer(alert.answers[0], "going")
    ops.ring_due(now + timedelta(minutes=5))
    db.session.commit()
    assert len(alert.answers) == 40 and {a.ring for a in alert.answers} == {1, 2}
    for item in alert.answers[1:3]:
        ops.answer(item, "going")
    ops.ring_due(now + timedelta(minutes=10))
    db.session.commit()
    assert len(alert.answers) == 40 and alert.next_ring_at is None  # three said yes


def test_eight_hundred_responders_get_eight_hundred_messages_in_one_transaction(org, dispatcher):
    for n in range(800):
        add_responder(org, phone=phone(n), use_email=False)
    db.session.commit()
    ops.open_alert(org, dispatcher, alert_input())
    assert db.session.scalar(sa.select(sa.func.count(OutgoingEmail.id))) == 800
    db.session.rollback()  # nothing half-sent: a rolled-back alert leaves nothing
    assert db.session.scalar(sa.select(sa.func.count(OutgoingEmail.id))) == 0
    commits = []

    def note(_session):
        commits.append(1)

    session = db.session()
    sa.event.listen(session, "after_commit", note)
    try:
        ops.open_alert(org, dispatcher, alert_input())
        db.session.commit()
    finally:
        sa.event.remove(session, "after_commit", note)
    assert commits == [1]
    assert db.session.scalar(sa.select(sa.func.count(OutgoingEmail.id))) == 800
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 800


def test_closing_then_erasure_after_n_days_leaves_counts_only(client, org, dispatcher, provider):
    add_responder(org, phone=phone(1))
    add_responder(org, phone=phone(2))
    start = utcnow() - timedelta(days=40)
    alert = ops.open_alert(org, dispatcher, alert_input(), start)
    first, second = alert.answers
    ops.answer(first, "going", eta_minutes=10, now=start + timedelta(minutes=1))
    ops.answer(first, "arrived", now=start + timedelta(minutes=12))
    ops.answer(second, "cant", now=start + timedelta(minutes=2))
    ops.close_alert(alert, "Nobody was taken", now=start + timedelta(hours=1))
    drill = ops.open_alert(org, dispatcher, alert_input(is_drill=True, place="Drill park"))
    db.session.commit()
    link = _link(_messages(channel=Channel.sms)[0].body_text)
    assert client.get(link).status_code == 302
    set_setting("rapid_purge_after_days", 30)
    assert ops.purge_alerts(utcnow()) == 1  # the drill is younger than a day
    db.session.commit()
    assert db.session.get(Alert, drill.id) is not None
    assert client.get(link).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 2  # the drill's
    erased = [m for m in _messages() if m.erased_at is not None]
    assert len(erased) == 2 and all(m.body_text == "" and m.recipient == "" for m in erased)
    summary = db.session.scalar(sa.select(AlertSummary))
    assert (summary.alerted, summary.went, summary.arrived) == (2, 1, 1)
    assert summary.first_arrival_seconds == 12 * 60
    assert ops.purge_alerts(utcnow() + timedelta(days=1, minutes=1)) == 1  # the drill
    db.session.commit()
    months = ops.report()
    assert sum(m.alerts for m in months) == 1 and sum(m.drills for m in months) == 1
    assert months[-1].median_first_arrival == 12.0 or months[0].median_first_arrival == 12.0
    # Nothing of the text or place anywhere in the database any more.
    for table in ("rapid_alerts", "rapid_answers", "rapid_alert_updates", "short_links"):
        assert db.session.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0


@pytest.mark.parametrize("state", ["going", "cant"])
def test_a_closed_alert_takes_no_answers(client, org, dispatcher, state):
    add_responder(org, email="a@example.org", use_sms=False)
    alert = ops.open_alert(org, dispatcher, alert_input())
    ops.close_alert(alert, "")
    db.session.commit()
    item = alert.answers[0]
    path = f"/rapid/a/{item.id}/{item.secret}"
    client.submit(path, {"state": state}, page=path)
    db.session.expire_all()
    assert db.session.get(Answer, item.id).state == AnswerState.alerted
    assert deliver_due().sent >= 1
    assert _messages()[0].status == EmailStatus.sent


def test_the_live_list_reads_the_same_queries_for_3_or_60_answers(client, org, dispatcher, queries):
    for n in range(3):
        add_responder(org, phone=phone(n))
    small = ops.open_alert(org, dispatcher, alert_input())
    for n in range(3, 63):
        add_responder(org, phone=phone(n), towns=("Holyoke",))
    big = ops.open_alert(org, dispatcher, alert_input(town="Holyoke"))
    db.session.commit()
    client.login(dispatcher.email)
    counts = []
    for alert in (small, big):
        url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}/answers"
        client.get(url)  # the first look is audited; the next within a minute is not
        with queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_worker_rings_waves_and_erases_old_alerts(app):
    from coalition.worker import build_scheduler

    jobs = {job.id for job in build_scheduler(app).get_jobs()}
    assert {"rapid-rings", "rapid-purge"} <= jobs


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}], indirect=True)
def test_keywords_in_a_loop_do_not_use_up_the_answers_to_an_alert(
    client, org, dispatcher, provider
):
    """Automatic answers are capped per number (each costs a text), but HELP sent in a loop
    (or from a spoofed number) never uses up the answers that carry an alert's link."""
    add_responder(org, phone=phone(1), locale="en")
    db.session.commit()
    helps = [
        ("<Message>" in _reply(client, "HELP", phone(1)).get_data(as_text=True)) for _ in range(4)
    ]
    assert helps == [True, True, True, False]
    ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    answer = _reply(client, "1", phone(1)).get_data(as_text=True)
    assert "you are on your way" in answer and "http://localhost/r/" in answer
    assert db.session.scalar(sa.select(Answer.state)) == AnswerState.going


def _answered(alert, n: int, state: str, eta=None) -> None:
    answer = db.session.scalars(
        sa.select(Answer).where(Answer.alert_id == alert.id).order_by(Answer.id)
    ).all()[n]
    ops.answer(answer, state, eta_minutes=eta)


def test_the_alert_page_reads_the_same_queries_for_10_or_200_responders(
    client, org, dispatcher, queries
):
    """Issue 26: the live page and its list in a fixed number of statements, whoever answered
    and however many were skipped; phones only of those on the way or there."""

    def alert_for(town: str, count: int):
        for n in range(count):
            add_responder(org, phone=phone(n) if town == "Springfield" else phone(5000 + n),
                          email=f"r{n}-{town}@example.org" if n % 2 else None,
                          name=f"{town} {n:03d}", towns=(town,))  # fmt: skip
        add_responder(org, phone=phone(9000 + count), name=f"Paused {town}", towns=(town,),
                      paused=True)  # fmt: skip
        alert = ops.open_alert(org, dispatcher, alert_input(town=town, needed=count))
        _answered(alert, 0, "going", eta=12)
        _answered(alert, 1, "arrived")
        _answered(alert, 2, "cant")
        db.session.commit()
        return alert

    small, big = alert_for("Springfield", 10), alert_for("Holyoke", 200)
    client.login(dispatcher.email)
    counts = []
    for alert, town in ((small, "Springfield"), (big, "Holyoke")):
        url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
        client.get(url)
        with queries() as statements:
            page = client.get(url).text
        counts.append(len(statements))
        assert f"{town} 000</strong>: On my way, ETA 12 min" in page
        assert f"{town} 001</strong>: Arrived" in page
        assert f"{town} 002</strong>: Can" in page
        assert f"{town} 003</strong>: No answer yet" in page
        # Phones of those going or there, not of the others; the paused named, not alerted.
        assert f'href="tel:{phone(0) if town == "Springfield" else phone(5000)}"' in page
        assert f"tel:{phone(3) if town == 'Springfield' else phone(5003)}" not in page
        assert f"Paused {town}" in page and "paused their alerts" in page
        # Everyone of the other town is skipped for their town: named, never their numbers.
        other = "Holyoke" if town == "Springfield" else "Springfield"
        assert f"{other} 004" in page
        assert f"tel:{phone(5004) if town == 'Springfield' else phone(4)}" not in page
    assert counts[0] == counts[1], counts
    # Of 200 alerted, 3 answered: all named; the first 50 who have not are, and a count.
    assert "No answer: 197" in page and page.count("No answer yet</li>") == ops.WAITING_SHOWN
    assert "And 147 more who have not answered yet." in page


def test_the_live_list_answers_304_until_an_answer_changes(client, org, dispatcher):
    for n in range(3):
        add_responder(org, phone=phone(n), name=f"Person {n}")
    alert = ops.open_alert(org, dispatcher, alert_input())
    db.session.commit()
    client.login(dispatcher.email)
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}/answers"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "Person 0" in first.text
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "private, no-store"
    _answered(alert, 0, "going", eta=5)
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Person 0</strong>: On my way, ETA 5 min" in changed.text
    assert changed.headers["ETag"] != etag
    # The same list in another language is another version.
    dispatcher.language = "es"
    db.session.commit()
    spanish = client.get(url, headers={"If-None-Match": changed.headers["ETag"]})
    assert spanish.status_code == 200 and "Person 0</strong>: Voy en camino" in spanish.text


def test_the_headers_rapid_response_link_is_for_dispatchers_only(client, org, dispatcher, db):
    from coalition.orgs.models import OrgStatus
    from coalition.rapid.models import CoalitionDispatcher
    from tests.factories import UserFactory

    link = 'href="/rapid"'
    client.login(dispatcher.email)
    assert link in client.get("/account").text
    org.status = OrgStatus.suspended  # a suspended organization's dispatchers dispatch nothing
    db.session.commit()
    assert link not in client.get("/account").text
    client.logout()
    other = UserFactory(email="coalition-dispatch@example.org")
    db.session.add(CoalitionDispatcher(user_id=other.id))
    db.session.commit()
    client.login(other.email)
    assert link not in client.get("/account").text  # no active organization to dispatch for
    OrganizationFactory()
    assert link in client.get("/account").text
    client.logout()
    client.login(UserFactory(email="nobody@example.org").email)
    assert link not in client.get("/account").text
