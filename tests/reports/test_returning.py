"""Returning participation of people who RSVP date by date: those who ticked "count my
attendance across this series" (and signed-in members) are counted across the dates under a
pseudonym made with a per-series salt; when the series' figures are final, salt and pseudonyms
are deleted, and nothing in the database ties one person's dates together any more."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from coalition.dashboard.operations import toggle_check_in
from coalition.erasure import purge_expired
from coalition.extensions import db
from coalition.reports.models import SeriesFigures, SeriesKey, SeriesLink
from coalition.rsvps import operations as rsvp_ops
from coalition.rsvps.models import RSVP
from coalition.sessions.models import SeriesPart
from tests.factories import UserFactory
from tests.reports.helpers import (
    CAME_TO_ALL,
    SERIES_PEOPLE,
    four_dialogues,
    hold,
    hold_and_purge,
    purge_each,
)

#: RSVP date by date with the box ticked; all but the last MISSED come to every date.
OPTED = 10
MISSED = 5
#: RSVP date by date and come every time, box not ticked: not counted across dates.
NOT_OPTED = 3


def _dated(season, member):
    """Before each date, the date-by-date people RSVP; at each date they are checked in."""
    occurrences = sorted(season.event.occurrences, key=lambda o: o.start_at)
    for index, occurrence in enumerate(occurrences):
        with time_machine.travel(occurrence.start_at - timedelta(days=2), tick=False):
            rsvps = []
            for n in range(OPTED):
                data = rsvp_ops.RSVPInput(name=f"Opted {n}", email=f"o{n}@example.org",
                                          counts_attendance=True)  # fmt: skip
                rsvps.append((n, rsvp_ops.submit(occurrence, data, notify=False).rsvp))
            for n in range(NOT_OPTED):
                data = rsvp_ops.RSVPInput(name=f"Plain {n}", email=f"p{n}@example.org")
                rsvps.append((None, rsvp_ops.submit(occurrence, data, notify=False).rsvp))
            data = rsvp_ops.RSVPInput(name=member.name, email=member.email)
            rsvps.append((-1, rsvp_ops.submit(occurrence, data, user=member, notify=False).rsvp))
            db.session.commit()
        with time_machine.travel(occurrence.start_at + timedelta(minutes=5), tick=False):
            for n, rsvp in rsvps:
                if n is not None and n >= OPTED - MISSED and index == 2:
                    continue  # missed the third dialogue
                toggle_check_in(rsvp)
            db.session.commit()


def test_people_who_ask_to_be_counted_are_counted_across_dates_then_unlinked(db):
    season = four_dialogues()
    member = UserFactory()
    db.session.commit()
    _dated(season, member)
    hold(season)
    occurrences = sorted(season.event.occurrences, key=lambda o: o.start_at)
    # Halfway: the first two dates purged, the series still running.
    with time_machine.travel(occurrences[1].end_at + timedelta(days=31), tick=False):
        purge_expired()
        db.session.commit()
    running = db.session.scalar(sa.select(SeriesFigures))
    assert not running.is_final
    # The opted-in people and the member; never the ones who did not tick the box.
    assert (running.dates_held, running.opted_in, running.opted_in_came_to_all) == (
        2,
        OPTED + 1,
        OPTED + 1,
    )
    links = db.session.scalars(sa.select(SeriesLink)).all()
    assert len(links) == SERIES_PEOPLE + OPTED + 1
    # A pseudonym holds a count of dates, no date and nothing of the person.
    assert {link.came for link in links if link.kind == "opted"} == {2}
    text = repr([(x.link, x.kind, x.came) for x in links])
    assert "example.org" not in text and "Opted" not in text
    purge_each(season)
    final = db.session.scalar(sa.select(SeriesFigures))
    assert final.is_final and final.dates_held == 4
    assert (final.registrations, final.came_to_all) == (SERIES_PEOPLE, CAME_TO_ALL)
    assert (final.opted_in, final.opted_in_came_to_all) == (OPTED + 1, OPTED - MISSED + 1)
    # Final: the salt and the pseudonyms are gone, and so are the series' parts that tied a
    # registration's erased RSVPs together; erased RSVPs hold no contact and no member.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesKey)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesLink)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SeriesPart)) == 0
    # and the erased RSVPs themselves are deleted (their ids and times linked people).
    assert db.session.scalars(sa.select(RSVP)).all() == []


def test_the_report_gives_the_share_of_those_who_asked_to_be_counted(client, db):
    season = four_dialogues()
    member = UserFactory()
    admin = UserFactory(is_admin=True)
    db.session.commit()
    _dated(season, member)
    hold_and_purge(season)
    client.login(admin.email)
    series = client.get("/api/v1/reports/coalition").get_json()["series"]
    assert len(series) == 1 and series[0]["final"]
    assert series[0]["came_to_all_percent"] == round(100 * CAME_TO_ALL / SERIES_PEOPLE)
    assert series[0]["opted_in"] == OPTED + 1
    assert series[0]["opted_in_came_to_all_percent"] == round(
        100 * (OPTED - MISSED + 1) / (OPTED + 1)
    )
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "asked to be counted across the series" in page and "Opted" not in page


def test_the_box_is_on_the_form_of_a_series_date_and_is_kept(client, db):
    season = four_dialogues()
    occurrence = season.event.occurrences[-1]
    url = f"/events/{season.event.id}/occurrences/{occurrence.id}/rsvp"
    with time_machine.travel(occurrence.start_at - timedelta(days=3), tick=False):
        page = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
        assert "counts_attendance" in page
        response = client.submit(url, {"name": "Ana", "email": "ana@example.org",
                                       "language": "es", "party_size": "1",
                                       "counts_attendance": "y"}, page=url)  # fmt: skip
        assert response.status_code in (200, 302)
    rsvp = db.session.scalar(sa.select(RSVP).where(RSVP.name == "Ana"))
    assert rsvp is not None and rsvp.counts_attendance


def test_the_api_takes_the_box_too(client, db):
    season = four_dialogues()
    occurrence = season.event.occurrences[-1]
    with time_machine.travel(occurrence.start_at - timedelta(days=3), tick=False):
        response = client.post(
            f"/api/v1/events/{season.event.id}/rsvps",
            json={"name": "Lia", "email": "lia@example.org", "count_attendance": True,
                  "occurrence": occurrence.start_at.isoformat()},
        )  # fmt: skip
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)
    rsvp = db.session.scalar(sa.select(RSVP).where(RSVP.occurrence_id == occurrence.id,
                                                   RSVP.name == "Lia"))  # fmt: skip
    assert rsvp is not None and rsvp.counts_attendance


def test_a_key_rotation_does_not_split_a_persons_count(app, db, runner):
    """A new CONTACT_HASH_KEY (and a new CONTACT_KEYS key, the old one then dropped) between two
    purges: the opted-in people are still counted once each across the four dates."""
    from cryptography.fernet import Fernet

    from coalition.crypto import EXTENSION, parse_keys

    season = four_dialogues()
    member = UserFactory()
    db.session.commit()
    _dated(season, member)
    hold(season)
    first = min(season.event.occurrences, key=lambda o: o.start_at)
    with time_machine.travel(first.end_at + timedelta(days=31), tick=False):
        purge_expired()
        db.session.commit()
    assert db.session.scalar(sa.select(SeriesKey.link_key)) is not None
    old_key, new_key = app.config["CONTACT_KEYS"], Fernet.generate_key().decode()
    new_hash_key = "another-hash-key-" + "y" * 32
    app.extensions[EXTENSION] = parse_keys(f"{new_key},{old_key}", new_hash_key)
    db.session.expire_all()
    result = runner.invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "report_series_keys: 1 values re-encrypted" in result.output
    assert "hashes recomputed" in result.output and "rsvps: " in result.output
    app.extensions[EXTENSION] = parse_keys(new_key, new_hash_key)  # the old key is gone
    db.session.expire_all()
    purge_each(season)
    final = db.session.scalar(sa.select(SeriesFigures))
    assert final.is_final and final.dates_held == 4
    assert (final.opted_in, final.opted_in_came_to_all) == (OPTED + 1, OPTED - MISSED + 1)
