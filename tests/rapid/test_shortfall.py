"""The dispatcher sees the shortfall and why (who was skipped, for what reason), can alert the
skipped anyway, and reads every time with its date."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coalition.extensions import db
from coalition.mail.models import Channel, OutgoingEmail
from coalition.orgs.models import OrgRole
from coalition.rapid import operations as ops
from coalition.rapid.models import Answer
from coalition.sms import numbers
from tests.factories import member_of
from tests.rapid.conftest import DAYTIME, LATE, add_responder, alert_input, phone


def _roster(org):
    """2 who can go; 4 outside their hours; one in another town; one who speaks only English
    to a Spanish alert; one paused; one who replied STOP and gave no email."""
    people = {
        "Ana": add_responder(org, phone=phone(1), name="Ana"),
        "Beto": add_responder(org, phone=phone(2), name="Beto"),
        "Amherst": add_responder(org, phone=phone(3), name="Carla", towns=("Amherst",)),
        "English": add_responder(org, phone=phone(4), name="Dave", languages=("en",)),
        "Paused": add_responder(org, phone=phone(5), name="Eva", paused=True),
        "Stopped": add_responder(org, phone=phone(6), name="Fran"),
    }
    for n, name in enumerate(("Gus", "Hilda", "Ivan", "Juana")):
        people[name] = add_responder(org, phone=phone(10 + n), name=name, always=False,
                                     hours=DAYTIME)  # fmt: skip
    numbers.opt_out(phone(6))
    db.session.flush()
    return people


def test_the_dispatcher_sees_who_was_skipped_and_why(client, org, dispatcher, clock):
    people = _roster(org)
    alert = ops.open_alert(org, dispatcher, alert_input(needed=3, language="es"), LATE)
    db.session.commit()
    # Fran stopped texts and has no email: she is skipped, not "alerted" with nothing sent.
    assert {a.responder_id for a in alert.answers} == {people["Ana"].id, people["Beto"].id}
    skipped = ops.skipped(alert, LATE)
    assert skipped.counts() == {"hours": 4, "town": 1, "language": 1, "paused": 1,
                                "unreachable": 1}  # fmt: skip
    client.login(dispatcher.email)
    clock(LATE + timedelta(minutes=1))
    page = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}").get_data(as_text=True)
    assert "3 people needed, 2 alerted" in page
    assert "4 outside their hours" in page
    assert "1 in another town" in page
    assert "1 does not speak Spanish" in page
    assert "1 paused their alerts" in page
    assert "1 cannot be reached (texts stopped or failed, no email)" in page
    for name in ("Gus", "Hilda", "Ivan", "Juana", "Carla", "Dave"):
        assert name in page  # names: the page is the dispatchers' only
    assert "Alert these 4 anyway" in page


def test_the_dispatcher_alerts_the_skipped_anyway_but_never_the_paused_or_stopped(
    client, org, dispatcher, clock
):
    people = _roster(org)
    alert = ops.open_alert(org, dispatcher, alert_input(needed=3, language="es"), LATE)
    db.session.commit()
    client.login(dispatcher.email)
    page = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    clock(LATE + timedelta(minutes=1))
    response = client.submit(page + "/more", {"reason": "hours"}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    hours = {people[n].id for n in ("Gus", "Hilda", "Ivan", "Juana")}
    alerted = set(db.session.scalars(sa.select(Answer.responder_id)))
    assert alerted == hours | {people["Ana"].id, people["Beto"].id}
    texts = db.session.scalars(
        sa.select(OutgoingEmail.recipient).where(OutgoingEmail.channel == Channel.sms)
    ).all()
    assert len(texts) == 6 and phone(10) in texts
    assert "Alert sent to 4 more responders." in client.get(page).get_data(as_text=True)
    # One by one too (the chosen person in another town); the paused and the stopped are never
    # alerted from here, whatever is posted.
    client.submit(page + "/more", {"responder": [people["Amherst"].id, people["Paused"].id,
                  people["Stopped"].id]}, page=page)  # fmt: skip
    # Pressing twice alerts nobody twice.
    client.submit(page + "/more", {"reason": "hours"}, page=page)
    db.session.expire_all()
    alerted = list(db.session.scalars(sa.select(Answer.responder_id)))
    assert len(alerted) == 7 and people["Amherst"].id in alerted
    assert people["Paused"].id not in alerted and people["Stopped"].id not in alerted


def test_alerting_more_is_for_this_orgs_dispatchers_and_open_alerts(client, org, dispatcher):
    _roster(org)
    alert = ops.open_alert(org, dispatcher, alert_input(needed=3, language="es"), LATE)
    organizer = member_of(org, OrgRole.organizer)
    db.session.commit()
    page = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    client.login(organizer.email)
    assert client.submit(page + "/more", {"reason": "hours"}).status_code == 403
    client.logout()
    ops.close_alert(alert, "")
    db.session.commit()
    client.login(dispatcher.email)
    client.submit(page + "/more", {"reason": "hours"}, page=page)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 2


def test_every_alert_time_shows_its_date(client, org, dispatcher, clock):
    add_responder(org, phone=phone(1), name="Ana", locale="es")
    add_responder(org, email="bea@example.org", name="Bea", locale="en", use_sms=False)
    opened = datetime(2027, 3, 15, 14, 5, tzinfo=UTC)  # 10:05 EDT, Monday 15 March
    alert = ops.open_alert(org, dispatcher, alert_input(happens_at=opened), opened)
    bea = next(a for a in alert.answers if a.responder.name == "Bea")
    ops.answer(bea, "arrived", now=opened + timedelta(minutes=20))
    ops.send_update(alert, dispatcher, "ICE left", "all", now=opened + timedelta(minutes=30))
    db.session.commit()
    client.login(dispatcher.email)
    clock(opened + timedelta(minutes=40))
    page = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}").get_data(as_text=True)
    answer_page = client.get(f"/rapid/a/{bea.id}/{bea.secret}").get_data(as_text=True)
    for moment in ("10:05", "10:25", "10:35"):
        assert f"Mar 15, 2027, {moment}" in page or f"Mar 15, 2027 {moment}" in page, moment
    assert "Mar 15, 2027" in answer_page
    text = db.session.scalar(
        sa.select(OutgoingEmail.body_text).where(OutgoingEmail.channel == Channel.sms)
    )
    assert "15 mar" in text  # the text too: "15 mar, 10:05 a. m."
