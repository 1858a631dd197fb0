"""The SMS provider's refusals, sorted like the relay's (tests/mail/test_refusals.py): about the
recipient (that text fails), busy (the channel waits), or about our account or sending number
(the channel waits and the admins are told once)."""

import pytest
import sqlalchemy as sa

from coalition.mail.delivery import deliver_due
from coalition.mail.models import Channel, ChannelState, EmailStatus, OutgoingEmail
from coalition.sms.operations import queue_sms
from tests.factories import UserFactory

ANA = "+16175550101"

#: (HTTP status, Twilio code, outcome)
TABLE = [
    (400, 21211, "fail"),  # invalid 'To' number
    (400, 21610, "fail"),  # the recipient replied STOP
    (429, 20429, "pause"),  # too many requests
    (503, 20503, "pause"),  # provider down
    (401, 20003, "refuse"),  # authentication failed: our credentials
    (403, 20005, "refuse"),  # account not active (suspended)
    (400, 21606, "refuse"),  # our 'From' number cannot send
    (400, 21212, "refuse"),  # our 'From' number is invalid
]


@pytest.mark.parametrize(("status", "code", "outcome"), TABLE)
def test_each_provider_answer_is_sorted_by_whom_it_is_about(db, provider, status, code, outcome):
    UserFactory(email="admin@example.org", is_admin=True)
    row = queue_sms(to=ANA, kind="test", template="test", locale="en", text="Rally at 6")
    db.session.commit()
    provider.failures.append((status, code, f"error {code}"))
    deliver_due(channels=[Channel.sms])
    db.session.expire_all()
    state = db.session.get(ChannelState, Channel.sms)
    paused = state is not None and state.paused_until is not None
    alerts = db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.kind == "channel_refused")
    ).all()
    if outcome == "fail":
        assert (row.status, paused, alerts) == (EmailStatus.failed, False, [])
        return
    assert (row.status, row.attempts, paused) == (EmailStatus.queued, 0, True)
    assert len(alerts) == (1 if outcome == "refuse" else 0)
    if outcome == "refuse":
        assert str(code) in alerts[0].body_text and alerts[0].channel == Channel.email
