"""A phone-only helper: texts with a short private link, reminders and messages by text, and
the same erasure (the real SMS path, against the fake Twilio server)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from coalition.mail.delivery import deliver_due
from coalition.orgs.models import OrgRole
from coalition.reminders import operations as reminder_ops
from coalition.volunteers import operations as ops
from coalition.volunteers.models import RoleKind
from tests.factories import OrganizationFactory, make_event, member_of
from tests.sms.conftest import app_overrides, provider, provider_server  # noqa: F401

E164 = "+16175550199"
SHORT = re.compile(r"http://localhost/r/([A-Za-z0-9_-]{16,})")


#: Early afternoon in Boston: the reminder text is not held by quiet hours (21:00-08:00).
AFTERNOON = datetime(2026, 10, 14, 14, 0, tzinfo=ZoneInfo("America/New_York"))


@time_machine.travel(AFTERNOON, tick=True)
def test_a_phone_only_helper_is_reached_by_text_until_erased(client, db, provider):  # noqa: F811
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(org, texts={"en": ("May Day march", ""), "es": ("Marcha", "")})
    occurrence = event.occurrences[0]
    role = ops.add_role(occurrence, ops.RoleInput(kind=RoleKind.marshal, needed=5))
    db.session.commit()
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    answer = client.submit(f"{base}/help", {"role": str(role.id), "name": "Lupe", "email": "",
                                            "phone": "617 555 0199", "language": "es",
                                            "consents_to_reminders": "y"},
                           page=f"{base}/help")  # fmt: skip
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "•••• 0199" in page
    # Issue 22: a phone-only helper was told to look in the spam folder.
    assert "spam" not in page and "No text message after a few minutes?" in page
    deliver_due()
    (text,) = provider.bodies_to(E164)
    assert "Marcha" in text
    manage = client.get(f"/r/{SHORT.search(text).group(1)}").headers["Location"]
    assert "/help/" in manage and client.get(manage).status_code == 200

    # The reminder and the organizers' message go by text too.
    assert reminder_ops.send_due(now=occurrence.start_at - timedelta(days=1)).queued == 1
    client.login("host@example.org")
    url = f"{base}/roles/{role.id}/message"
    client.submit(url, {"audience": str(role.id), "subject_en": "Vests",
                        "body_en": "Pick up a vest at 9."}, page=url)  # fmt: skip
    # The reminder waits out quiet hours (21:00-08:00 where the event is): deliver at its own
    # time, noon the day before, not whatever hour the suite runs at.
    deliver_due(now=occurrence.start_at - timedelta(days=1))
    texts = provider.bodies_to(E164)
    assert len(texts) == 3 and any("Pick up a vest" in t for t in texts)

    # Erasing from the private link kills the short link as well.
    client.logout()
    assert client.submit(f"{manage}/erase", page=manage).status_code == 200
    assert client.get(manage).status_code == 404
    assert client.get(f"/r/{SHORT.search(text).group(1)}").status_code == 404
