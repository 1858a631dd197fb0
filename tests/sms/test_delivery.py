"""Texts through the outbox to a local server that speaks Twilio's Messages API."""

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from coalition.auth.models import User
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from coalition.settings.operations import set_setting
from coalition.sms import numbers
from coalition.sms.operations import queue_sms
from tests.sms.fake_provider import ACCOUNT_SID

ANA = "+16175550101"
BETO = "+16175550102"


def _text(db, to, text="Rally tomorrow 6pm, City Hall.", **fields):
    row = queue_sms(to=to, kind="test", template="test", locale="en", text=text, **fields)
    db.session.commit()
    return row


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()


def test_each_text_is_one_request_in_the_messages_api_shape(db, provider):
    _text(db, ANA)
    _text(db, BETO, "Marcha mañana a las 6 p. m.")
    report = deliver_due()
    assert report.sent == 2
    assert [(r["To"], r["From"]) for r in provider.requests] == [
        (ANA, "+16175550000"),
        (BETO, "+16175550000"),
    ]
    assert provider.requests[1]["Body"] == "Marcha mañana a las 6 p. m."
    assert provider.requests[0]["StatusCallback"].endswith("/sms/status")
    rows = _rows(db)
    assert all(r.channel == Channel.sms and r.status == EmailStatus.sent for r in rows)
    assert all(r.provider_id.startswith("SM") for r in rows)
    assert deliver_due().sent == 0
    assert len(provider.requests) == 2


def test_an_invalid_number_fails_for_good_and_is_remembered(db, provider):
    provider.invalid.add(BETO)
    _text(db, BETO)
    _text(db, ANA)
    report = deliver_due()
    assert (report.sent, report.failed) == (1, 1)
    failed = _rows(db)[0]
    assert failed.status == EmailStatus.failed and "21211" in failed.last_error
    assert not numbers.can_text(BETO)
    # Later texts to that number are not even queued, nor sent.
    assert _text(db, BETO) is None
    assert len(provider.bodies_to(BETO)) == 1


def test_the_provider_rate_limiting_pauses_the_channel_not_the_messages(db, provider):
    provider.failures.append((429, 20429, "Too Many Requests"))
    _text(db, ANA)
    _text(db, BETO)
    report = deliver_due()
    assert report.paused_channels == ["sms"] and report.sent == 0
    rows = _rows(db)
    assert {r.status for r in rows} == {EmailStatus.queued}
    assert {r.attempts for r in rows} == {0}
    # Nothing is tried while paused.
    assert deliver_due().sent == 0
    assert len(provider.requests) == 1
    state = db.session.get(ChannelState, Channel.sms)
    report = deliver_due(now=state.paused_until)
    assert report.sent == 2
    assert [r["To"] for r in provider.requests] == [ANA, ANA, BETO]


def test_a_provider_outage_is_probed_until_it_answers(db, provider):
    provider.down = True
    _text(db, ANA)
    deliver_due()
    for _ in range(8):
        state = db.session.get(ChannelState, Channel.sms)
        assert deliver_due(now=state.paused_until).sent == 0
        db.session.expire_all()
    assert _rows(db)[0].status == EmailStatus.queued
    assert len(provider.requests) == 1  # probes do not send the text again
    provider.down = False
    state = db.session.get(ChannelState, Channel.sms)
    assert deliver_due(now=state.paused_until).sent == 1


def test_no_answer_then_the_provider_is_asked_before_any_second_request(app, db, provider):
    app.config["SMS_TIMEOUT"] = 0.5
    provider.delay = 1.0  # the provider accepts the text but answers after our timeout
    row = _text(db, ANA)
    report = deliver_due()
    assert report.retrying == 1
    db.session.refresh(row)
    assert row.is_uncertain and row.status == EmailStatus.queued
    assert row.sending_since is not None
    while not provider.messages:  # the provider takes its time (we wait 10 minutes for real)
        time.sleep(0.05)
    provider.delay = 0
    report = deliver_due(now=row.next_attempt_at)
    assert report.sent == 1 and report.recovered == 1
    assert len(provider.bodies_to(ANA)) == 1  # found in the Messages list, not sent again
    assert provider.lookups[-1]["To"] == ANA
    db.session.refresh(row)
    assert row.provider_id == provider.messages[0]["sid"] and row.sending_since is None


def test_no_answer_and_not_accepted_is_sent_again_once(app, db, provider):
    app.config["SMS_TIMEOUT"] = 0.5
    provider.delay, provider.down = 1.0, True  # no answer in time, and no message made
    row = _text(db, ANA)
    assert deliver_due(channels=[Channel.sms]).retrying == 1
    time.sleep(0.6)  # the provider answers (503) to nobody
    provider.delay, provider.down = 0, False
    db.session.refresh(row)
    report = deliver_due(now=row.next_attempt_at, channels=[Channel.sms])
    assert report.sent == 1 and report.recovered == 0
    assert len(provider.bodies_to(ANA)) == 2 and len(provider.messages) == 1


def test_a_look_up_that_fails_pauses_the_channel_and_sends_nothing(db, provider):
    row = _text(db, ANA)
    db.session.execute(
        sa.update(OutgoingEmail).values(sending_since=datetime.now(UTC) - timedelta(minutes=3))
    )
    db.session.commit()
    provider.down = True
    report = deliver_due(channels=[Channel.sms])
    assert report.sent == 0 and report.paused_channels == ["sms"]
    assert provider.requests == []
    db.session.refresh(row)
    assert row.status == EmailStatus.queued and row.sending_since is not None


def test_the_same_text_twice_to_one_number_is_not_taken_for_the_other(db, provider):
    first = _text(db, ANA, "Vigil at 7pm")
    assert deliver_due(channels=[Channel.sms]).sent == 1
    second = _text(db, ANA, "Vigil at 7pm")
    db.session.execute(
        sa.update(OutgoingEmail)
        .where(OutgoingEmail.id == second.id)
        .values(sending_since=datetime.now(UTC) - timedelta(seconds=5))
    )
    db.session.commit()
    report = deliver_due(channels=[Channel.sms])
    assert report.sent == 1 and report.recovered == 0  # the first one's message is not its
    assert len(provider.bodies_to(ANA)) == 2
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.provider_id != second.provider_id


def test_the_messages_list_filters_like_twilios(app, provider):
    from twilio.rest import Client

    client = Client(app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"])
    client.api.base_url = app.config["TWILIO_BASE_URL"]
    for to, body in ((ANA, "one"), (BETO, "two"), (ANA, "three")):
        client.messages.create(to=to, from_="+16175550000", body=body)
    assert [m.body for m in client.messages.list(to=ANA)] == ["three", "one"]  # newest first
    today = datetime.now(UTC)
    assert len(client.messages.list(date_sent_after=today - timedelta(days=1))) == 3
    assert client.messages.list(date_sent_before=today - timedelta(days=2)) == []
    assert client.messages.list(to=ANA, limit=1)[0].body == "three"


def test_a_stop_reported_by_the_provider_is_recorded(db, provider):
    provider.opted_out.add(ANA)
    _text(db, ANA)
    deliver_due()
    assert numbers.get_number(ANA).opted_out_at is not None


def test_the_daily_cap_holds_texts_and_tells_the_admins_once(db, provider):
    db.session.add(User(email="admin@example.org", name="Admin", password_hash="x", is_admin=True))
    set_setting("sms_daily_cap", 2)
    for n in range(4):
        _text(db, f"+1617555020{n}")
    report = deliver_due()
    assert report.sent == 2
    assert deliver_due(channels=[Channel.sms]).sent == 0
    notices = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "sms_cap_reached")
    ).all()
    assert [n.recipient for n in notices] == ["admin@example.org"]
    assert len(provider.requests) == 2
    # A rapid-response alert cannot wait for tomorrow: the cap never holds it (it counts).
    alert = SimpleNamespace(town="Springfield", place="Main St", note=None)
    queue_sms(to="+16175550299", kind="rapid_alert", locale="en", alert=alert,
              kind_label="raid", when="6:05", link="http://localhost/r/x", drill=False)  # fmt: skip
    db.session.commit()
    assert deliver_due(channels=[Channel.sms]).sent == 1
    assert len(provider.requests) == 3
    # The next day the rest goes.
    held = [r for r in _rows(db) if r.channel == Channel.sms and r.status == EmailStatus.queued]
    assert len(held) == 2
    tomorrow = max(r.next_attempt_at for r in held)
    assert deliver_due(now=tomorrow, channels=[Channel.sms]).sent == 2


def test_a_reminder_waits_out_quiet_hours_in_the_events_zone(db, provider):
    night = datetime(2027, 1, 15, 4, 30, tzinfo=UTC)  # 23:30 in New York
    row = _text(db, ANA, quiet_hours_zone="America/New_York", expires_at=night + timedelta(days=1))
    assert deliver_due(now=night).sent == 0
    db.session.refresh(row)
    assert row.next_attempt_at == datetime(2027, 1, 15, 13, 0, tzinfo=UTC)  # 08:00 there
    assert provider.requests == []
    assert deliver_due(now=row.next_attempt_at).sent == 1


def test_a_reminder_whose_event_starts_before_quiet_hours_end_is_dropped(db, provider):
    night = datetime(2027, 1, 15, 4, 30, tzinfo=UTC)
    row = _text(db, ANA, quiet_hours_zone="America/New_York", expires_at=night + timedelta(hours=2))
    report = deliver_due(now=night)
    assert report.dropped == 1
    db.session.refresh(row)
    assert row.status == EmailStatus.dropped
    assert provider.requests == []


def test_the_client_really_talks_to_the_configured_account(db, provider):
    _text(db, ANA)
    deliver_due()
    assert provider.requests and ACCOUNT_SID.startswith("AC")


def test_folder_backend_writes_one_file_per_text(app, db, tmp_path):
    app.config.update(SMS_BACKEND="folder", SMS_FOLDER=str(tmp_path))
    _text(db, ANA, "Vigil at 7pm")
    assert deliver_due().sent == 1
    (path,) = tmp_path.glob("*.txt")
    content = path.read_text()
    assert f"To: {ANA}" in content and "Vigil at 7pm" in content


def test_folder_backend_looks_for_its_file_before_writing_again(app, db, tmp_path):
    app.config.update(SMS_BACKEND="folder", SMS_FOLDER=str(tmp_path))
    row = _text(db, ANA, "Vigil at 7pm")
    assert deliver_due().sent == 1
    (path,) = tmp_path.glob("*.txt")
    path.write_text("written before the worker died")
    db.session.execute(
        sa.update(OutgoingEmail).values(
            status=EmailStatus.queued, sending_since=datetime.now(UTC), sent_at=None
        )
    )
    db.session.commit()
    report = deliver_due()
    assert report.sent == 1 and report.recovered == 1
    assert path.read_text() == "written before the worker died"  # not written twice
    db.session.refresh(row)
    assert row.status == EmailStatus.sent
