"""Organizers see who a message reaches and how; leads with a phone get texts; costs for admins."""

import sqlalchemy as sa

from coalition.delegations import operations as delegation_ops
from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, OutgoingEmail
from coalition.settings.operations import set_setting
from coalition.sms import numbers
from coalition.sms.operations import queue_sms
from tests.dashboard.test_dashboard import world  # noqa: F401  (the fixture)
from tests.factories import make_event

ELI = "+16175550111"


def test_the_message_form_counts_email_text_and_unreachable(client, world, db):  # noqa: F811
    _event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    page = client.get(f"{base}/message").get_data(as_text=True)
    assert "2 by email, 1 by text message, 0 cannot be reached" in page
    numbers.opt_out(ELI)
    db.session.commit()
    page = client.get(f"{base}/message").get_data(as_text=True)
    assert "2 by email, 0 by text message, 1 cannot be reached" in page


def test_an_organizer_message_reaches_a_phone_only_attendee_by_text(client, world, db, provider):  # noqa: F811
    _event, _occurrence, _people, base, *_ = world
    client.login("host@example.org")
    data = {"audience": "all", "subject_en": "Bring water", "body_en": "It is hot."}
    response = client.submit(f"{base}/message", data, page=f"{base}/message")
    assert response.status_code == 302
    texts = db.session.scalars(
        sa.select(OutgoingEmail).where(
            OutgoingEmail.kind == "organizer_message", OutgoingEmail.channel == Channel.sms
        )
    ).all()
    assert [(t.recipient, t.body_text) for t in texts] == [(ELI, "Bring water: It is hot.")]
    deliver_due(channels=[Channel.sms])
    assert provider.bodies_to(ELI)[-1] == "Bring water: It is hot."


def test_a_lead_with_only_a_phone_gets_the_start_and_join_notices_by_text(db, provider):
    occurrence = make_event(capacity=60).occurrences[0]
    bus = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(name="Lawrence van", town="Lawrence", lead_name="Rosa",
                                       lead_phone="+16175550123"),
    )  # fmt: skip
    from coalition.rsvps import operations as rsvp_ops

    delegation_ops.join(bus, rsvp_ops.RSVPInput(name="Ana", email="ana@example.org"))
    db.session.commit()
    kinds = db.session.scalars(
        sa.select(OutgoingEmail.kind)
        .where(OutgoingEmail.channel == Channel.sms)
        .order_by(OutgoingEmail.id)
    ).all()
    assert kinds == ["delegation_started", "delegation_joined"]
    joined = db.session.scalars(
        sa.select(OutgoingEmail.body_text).where(OutgoingEmail.kind == "delegation_joined")
    ).one()
    assert "Ana joined Lawrence van" in joined and "http://localhost/r/" in joined


def test_stats_per_day_and_organization_on_the_cli_and_the_admin_page(client, runner, db, provider):
    from coalition.sms.operations import queue_sms
    from tests.factories import OrganizationFactory, UserFactory

    org = OrganizationFactory(name="Valley Workers Center")
    for n in range(3):
        queue_sms(to=f"+1617555030{n}", kind="test", template="test", locale="en",
                  org_id=org.id, text="ó" * 100)  # two UCS-2 segments each  # fmt: skip
    set_setting("sms_daily_cap", 250)
    db.session.commit()
    deliver_due(channels=[Channel.sms])
    result = runner.invoke(args=["sms", "stats"])
    assert result.exit_code == 0
    assert "daily cap: 250" in result.output
    assert "Valley Workers Center" in result.output
    assert "total: 3 texts, 6 segments" in result.output
    UserFactory(email="root@example.org", is_admin=True)
    db.session.commit()
    client.login("root@example.org")
    page = client.get("/admin/sms")
    assert page.status_code == 200
    assert "Valley Workers Center" in page.get_data(as_text=True)


def _undelivered(client, db, phone, code="30006"):
    """A text to `phone` went out and Twilio reported it undelivered (signed callback)."""
    from tests.sms.test_webhooks import _signed_post

    row = queue_sms(to=phone, kind="test", template="test", locale="en", text="Rally at 6")
    db.session.commit()
    deliver_due(channels=[Channel.sms])
    db.session.refresh(row)
    form = {"MessageSid": row.provider_id, "MessageStatus": "undelivered", "ErrorCode": code}
    assert _signed_post(client, "/sms/status", form).status_code == 204
    return row


def test_the_dashboard_names_attendees_texts_do_not_reach(client, world, db, provider):  # noqa: F811
    _event, occurrence, _people, base, *_ = world
    from coalition.rsvps import operations as rsvp_ops

    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Fay", phone="+16175550112"))
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="Gus", phone="+16175550113",
                                                   email="gus@example.org"))  # fmt: skip
    db.session.commit()
    client.login("host@example.org")
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "Texts cannot reach these people" not in page
    _undelivered(client, db, ELI)
    numbers.opt_out("+16175550112")
    numbers.opt_out("+16175550113")  # Gus has an email: his messages still reach him
    db.session.commit()
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "Texts cannot reach these people" in page
    assert "Eli (+16175550111): texts to this number were not delivered (code 30006)" in page
    assert "Fay (+16175550112): replied STOP: texts to this number are off" in page
    assert "Gus (+16175550113)" not in page
    form = client.get(f"{base}/message").get_data(as_text=True)
    assert "3 by email, 0 by text message, 2 cannot be reached" in form
    # The message goes to whom the form counted, and to nobody else.
    data = {"audience": "all", "subject_en": "Bring water", "body_en": "It is hot."}
    response = client.submit(f"{base}/message", data, page=f"{base}/message")
    assert response.status_code == 302
    assert "Message sent to 3 people" in client.get(f"{base}/attendees").get_data(as_text=True)
    texts = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "organizer_message",
                                       OutgoingEmail.channel == Channel.sms)
    ).all()  # fmt: skip
    assert texts == []
    # A later text that is delivered shows the number works again.
    from tests.sms.test_webhooks import _signed_post

    row = queue_sms(to=ELI, kind="test", template="test", locale="en", text="Vigil at 7")
    db.session.commit()
    deliver_due(channels=[Channel.sms])
    db.session.refresh(row)
    form = {"MessageSid": row.provider_id, "MessageStatus": "delivered"}
    assert _signed_post(client, "/sms/status", form).status_code == 204
    page = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "Eli (+16175550111)" not in page and "Fay (+16175550112)" in page
    assert "3 by email, 1 by text message, 1 cannot be reached" in client.get(
        f"{base}/message"
    ).get_data(as_text=True)


def test_only_those_who_may_see_attendees_see_whom_texts_miss(client, world, db, provider):  # noqa: F811
    _event, _occurrence, _people, base, *_ = world
    _undelivered(client, db, ELI)
    client.login("partner@example.org")  # a co-sponsor that sees counts, not the list
    page = client.get(f"{base}/attendees")
    assert page.status_code == 200
    # Neither the name nor the number (a signed-in "Elizabeth" may be greeted on the page).
    assert "Eli (" not in page.get_data(as_text=True)
    assert "+16175550111" not in page.get_data(as_text=True)
    assert "Texts cannot reach" not in page.get_data(as_text=True)
    client.logout()
    client.login("member@example.org")
    assert client.get(f"{base}/attendees").status_code in (403, 404)


def test_the_list_of_numbers_texts_miss_costs_one_query(client, world, db, provider, queries):  # noqa: F811
    _event, occurrence, _people, base, *_ = world
    from coalition.rsvps import operations as rsvp_ops

    client.login("host@example.org")

    def count():
        with queries() as statements:
            assert client.get(f"{base}/attendees").status_code == 200
        return len(statements)

    # One number texts miss (none costs a query less: no list to read), then six.
    rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name="P9", phone="+16175550179"))
    numbers.opt_out("+16175550179")
    db.session.commit()
    before = count()
    for n in range(5):
        phone = f"+1617555017{n}"
        rsvp_ops.submit(occurrence, rsvp_ops.RSVPInput(name=f"P{n}", phone=phone))
        numbers.opt_out(phone)
    db.session.commit()
    assert count() == before
