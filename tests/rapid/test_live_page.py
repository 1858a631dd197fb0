"""Issue 26: the dispatcher's live page of an alert to hundreds of responders, in a fixed number
of statements. What does not change between two looks (the live list, who was skipped and why,
the updates sent) is rendered once per change for every dispatcher, in the process only: it
must change with every answer, edit, pause, STOP and minute that changes what it shows."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from coalition.extensions import db
from coalition.rapid import operations as ops
from coalition.rapid.live import live_lists
from coalition.rapid.models import Answer
from coalition.rsvps.models import AuditEntry
from coalition.sms import numbers
from tests.rapid.conftest import DAYTIME, LATE, add_responder, alert_input, phone


def _without_tokens(page: str) -> str:
    """The page but its CSRF tokens (signed with the time: new on each look)."""
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", page)


def _looks(alert) -> int:
    """Looks at the alert recorded in the organization's audit log."""
    return db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "view_alert", AuditEntry.detail == f"alert {alert.id}"
        )
    )


def _answers(alert) -> list[Answer]:
    return db.session.scalars(
        sa.select(Answer).where(Answer.alert_id == alert.id).order_by(Answer.id)
    ).all()


def _alert_with(org, dispatcher, town: str, count: int, first: int):
    """`count` responders of `town` alerted, one paused and one of them outside their hours
    (skipped), three who answered (going, arrived, can't)."""
    for n in range(count):
        add_responder(org, phone=phone(first + n), name=f"{town} {n:03d}", towns=(town,),
                      email=f"{town}{n}@example.org" if n % 2 else None)  # fmt: skip
    add_responder(org, phone=phone(first + count), name=f"Paused {town}", towns=(town,),
                  paused=True)  # fmt: skip
    add_responder(org, phone=phone(first + count + 1), name=f"Night {town}", towns=(town,),
                  always=False, hours=DAYTIME)  # fmt: skip
    alert = ops.open_alert(org, dispatcher, alert_input(town=town, needed=count), LATE)
    answers = _answers(alert)
    ops.answer(answers[0], "going", eta_minutes=12)
    ops.answer(answers[1], "arrived")
    ops.answer(answers[2], "cant")
    db.session.commit()
    return alert


def test_the_page_reads_as_many_statements_for_10_or_150_responders(
    client, org, dispatcher, queries, clock
):
    """First look (renders), next look (the process's copy), look after an answer (the list
    again): each the same number of statements however many responders; a look at an
    unchanged alert reads less than the first and renders nothing."""
    clock(LATE + timedelta(minutes=1))
    small = _alert_with(org, dispatcher, "Springfield", 10, 0)
    big = _alert_with(org, dispatcher, "Holyoke", 150, 1000)
    client.login(dispatcher.email)
    client.get("/rapid")  # the welcome message shown
    counts: dict[str, list[int]] = {"first": [], "again": [], "answered": [], "refresh": []}
    for alert, town in ((small, "Springfield"), (big, "Holyoke")):
        url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
        with queries() as statements:
            page = client.get(url).text
        counts["first"].append(len(statements))
        assert f"{town} 000</strong>: On my way, ETA 12 min" in page
        assert f"Paused {town}" in page and f"Night {town}" in page
        renders, audited = live_lists().renders, _looks(alert)
        with queries() as statements:
            assert _without_tokens(client.get(url).text) == _without_tokens(page)
        counts["again"].append(len(statements))
        assert live_lists().renders == renders  # nothing rendered again
        assert _looks(alert) == audited + 1  # and the look recorded all the same
        ops.answer(_answers(alert)[3], "going", eta_minutes=7)
        db.session.commit()
        with queries() as statements:
            page = client.get(url).text
        counts["answered"].append(len(statements))
        assert f"{town} 003</strong>: On my way, ETA 7 min" in page
        with queries() as statements:
            assert client.get(f"{url}/answers").status_code == 200
        counts["refresh"].append(len(statements))
    for name, (for_small, for_big) in counts.items():
        assert for_small == for_big, (name, counts)
    assert counts["again"][0] < counts["first"][0], counts


def test_the_kept_list_changes_with_every_answer_and_edit(client, org, dispatcher, clock):
    """Answers in the same instant (the clock stands still), two people trading places, an
    arrival, a new name, someone leaving the roster: every look shows what is true now,
    on the page and on its refresh."""
    moment = LATE + timedelta(minutes=1)
    clock(moment)
    people = [add_responder(org, phone=phone(n), name=f"Person {n}") for n in range(3)]
    alert = ops.open_alert(org, dispatcher, alert_input(), LATE)
    db.session.commit()
    client.login(dispatcher.email)
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"

    def looks() -> tuple[str, str]:
        return client.get(url).text, client.get(f"{url}/answers").text

    for text in looks():
        assert "Person 0</strong>: No answer yet" in text
    first, second, _third = _answers(alert)
    ops.answer(first, "going", eta_minutes=10, now=moment)
    ops.answer(second, "going", eta_minutes=10, now=moment)
    ops.answer(second, "cant", now=moment)  # changed their mind (their ETA stays recorded)
    db.session.commit()
    for text in looks():
        assert "Person 0</strong>: On my way, ETA 10 min" in text
        assert "Person 1</strong>: Can" in text
    # They trade places in the same instant: the counts and the latest times stay the same.
    ops.answer(first, "cant", now=moment)
    ops.answer(second, "going", eta_minutes=10, now=moment)
    db.session.commit()
    for text in looks():
        assert "Person 1</strong>: On my way, ETA 10 min" in text
        assert "Person 0</strong>: Can" in text
    ops.answer(second, "arrived", now=moment)
    db.session.commit()
    for text in looks():
        assert "Person 1</strong>: Arrived" in text
    data = ops.ResponderInput(
        name="Renamed", email=None, phone=phone(1), use_sms=True, use_email=False, locale="es",
        towns=["Springfield"], languages=["en", "es"], roles=["responder"], training="",
        trained_on=None, is_always=True, zone="America/New_York",
    )  # fmt: skip
    ops.update_responder(people[1], data)
    db.session.commit()
    for text in looks():
        assert "Renamed</strong>: Arrived" in text and "Person 1" not in text
    ops.leave(people[1])
    db.session.commit()
    for text in looks():
        assert "(left the roster)</strong>: Arrived" in text and "Renamed" not in text
        assert phone(1) not in text
    # The updates sent: each shown from the look after it.
    assert "Updates sent" not in client.get(url).text
    ops.send_update(alert, dispatcher, "Bring water", "all")
    db.session.commit()
    assert "Bring water" in client.get(url).text
    ops.send_update(alert, dispatcher, "Police left", "going")
    db.session.commit()
    page = client.get(url).text
    assert "Bring water" in page and "Police left" in page


def test_the_kept_skipped_list_follows_the_clock_pauses_stops_and_alerts(
    client, org, dispatcher, clock
):
    add_responder(org, phone=phone(1), name="Ana")
    add_responder(org, phone=phone(2), name="Gus", always=False, hours=DAYTIME)
    texted = add_responder(org, phone=phone(3), name="Fran", always=False, hours=DAYTIME)
    add_responder(org, phone=phone(4), name="Beto", towns=("Amherst",))
    alert = ops.open_alert(org, dispatcher, alert_input(needed=3), LATE)
    db.session.commit()
    client.login(dispatcher.email)
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    clock(LATE + timedelta(seconds=30))
    page = client.get(url).text
    assert "2 outside their hours" in page and "1 in another town" in page
    # At 8 the next morning, New York time, they can go: not "outside their hours" any more.
    clock(datetime(2027, 3, 16, 11, 59, 59, tzinfo=UTC))
    assert "2 outside their hours" in client.get(url).text
    clock(datetime(2027, 3, 16, 12, 0, 0, tzinfo=UTC))
    page = client.get(url).text
    assert "outside their hours" not in page and "2 can go now, not alerted yet" in page
    # Fran pauses, then resumes and replies STOP (she gave no email).
    ops.set_paused(texted, True)
    db.session.commit()
    page = client.get(url).text
    assert "1 paused their alerts" in page and "1 can go now, not alerted yet" in page
    ops.set_paused(texted, False)
    db.session.commit()
    assert "2 can go now, not alerted yet" in client.get(url).text
    numbers.opt_out(phone(3))
    db.session.commit()
    page = client.get(url).text
    assert "1 cannot be reached (texts stopped or failed, no email)" in page
    # Gus alerted anyway: out of the skipped, into the live list.
    form = client.get(url).text
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(f"{url}/more", data={"csrf_token": token, "reason": "wave"})
    page = client.get(url).text
    assert "can go now, not alerted yet" not in page
    assert "Gus</strong>: No answer yet" in page


def test_the_silent_ones_are_counted_and_named_under_a_fold(client, org, dispatcher):
    total = ops.WAITING_SHOWN + 12
    for n in range(total):
        add_responder(org, phone=phone(n), name=f"Silent {n:03d}")
    alert = ops.open_alert(org, dispatcher, alert_input(needed=5))
    ops.answer(_answers(alert)[0], "going", eta_minutes=3)
    db.session.commit()
    client.login(dispatcher.email)
    page = client.get(f"/orgs/{org.slug}/rapid/alerts/{alert.id}").text
    assert f"No answer: {total - 1}" in page
    assert page.count("No answer yet</li>") == ops.WAITING_SHOWN
    folded = page.split('<details class="rapid-waiting">')[1].split("</details>")[0]
    assert "And 11 more who have not answered yet." in folded
    # Everyone is named somewhere: the silent beyond the first 50 under the fold.
    for n in range(total):
        assert f"Silent {n:03d}" in page
    assert "Silent 061" in folded and "tel:" not in folded


def test_the_kept_pieces_stay_in_the_process_in_each_language(client, org, dispatcher, app):
    """Names of responders are never written to the shared cache (Redis in production), and
    a dispatcher reading in Spanish gets the list in Spanish."""
    from coalition.core.render_cache import get_store

    for n in range(3):
        add_responder(org, phone=phone(n), name=f"Zelda {n}")
    add_responder(org, phone=phone(9), name="Zelda far", towns=("Amherst",))
    alert = ops.open_alert(org, dispatcher, alert_input())
    ops.answer(_answers(alert)[0], "going", eta_minutes=4)
    db.session.commit()
    client.login(dispatcher.email)
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    english = client.get(url).text
    assert "Zelda 0</strong>: On my way" in english and "Zelda far" in english
    store = get_store()
    kept = getattr(store, "_items", {})
    assert all(b"Zelda" not in value for value in kept.values() if isinstance(value, bytes))
    dispatcher.language = "es"
    db.session.commit()
    spanish = client.get(url).text
    assert "Zelda 0</strong>: Voy en camino" in spanish
    assert "On my way" not in spanish


def test_names_and_numbers_in_the_live_list_are_escaped(client, org, dispatcher):
    """The list's lines are written in Python, not by the template: still escaped."""
    add_responder(org, phone=phone(1), name="<script>alert(1)</script>")
    for n in range(ops.WAITING_SHOWN + 1):
        add_responder(org, phone=phone(100 + n), name=f"<b>Silent {n}</b>")
    alert = ops.open_alert(org, dispatcher, alert_input())
    ops.answer(_answers(alert)[0], "going", eta_minutes=5)
    db.session.commit()
    client.login(dispatcher.email)
    url = f"/orgs/{org.slug}/rapid/alerts/{alert.id}"
    for text in (client.get(url).text, client.get(f"{url}/answers").text):
        assert "<script>alert(1)" not in text and "<b>Silent" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;</strong>: On my way, ETA 5 min" in text
        assert f"&lt;b&gt;Silent {ops.WAITING_SHOWN}&lt;/b&gt;" in text


def test_decrypted_names_are_not_held_in_the_process_beyond_ten_minutes(app):
    """The per-process store of opened names answers without decrypting again, and forgets
    each name ten minutes after it was opened (a responder who left is not held on)."""
    from coalition.crypto import keys
    from coalition.rapid.live import Opened

    store = Opened()
    opened_at = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    with app.app_context():
        ana, beto = keys().encrypt("Ana"), keys().encrypt("Beto")
        assert store.open(ana, opened_at) == "Ana"
        assert store.open(beto, opened_at + timedelta(minutes=5)) == "Beto"
        assert len(store) == 2
        assert store.open(ana, opened_at + timedelta(minutes=9)) == "Ana"
        assert len(store) == 2
        # Ten minutes after Ana was opened: she is dropped at the next look, Beto kept.
        assert store.open(beto, opened_at + timedelta(minutes=10, seconds=1)) == "Beto"
        assert len(store) == 1
        assert store.open(None) is None
