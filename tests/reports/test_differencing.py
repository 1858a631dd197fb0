"""An attacker with two filter combinations: every figure two nested reports both show must
differ by 0 or by at least the threshold, or the difference would be a handful of people (here:
one person at a workshop, one responder of another organization)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from coalition.dashboard.operations import toggle_check_in
from coalition.erasure import purge_expired
from coalition.events.models import EventType
from coalition.extensions import db
from coalition.orgs.models import Membership, OrgRole
from coalition.rapid import operations as rapid_ops
from coalition.reports.figures import NOT_PEOPLE
from coalition.rsvps import operations as rsvp_ops
from coalition.sessions import series
from coalition.sessions.models import SeriesRegistration
from coalition.settings.operations import set_setting
from tests.factories import OrganizationFactory, UserFactory, make_event
from tests.rapid.conftest import add_responder, alert_input
from tests.reports.helpers import (
    CAME_TO_ALL,
    SERIES_PEOPLE,
    four_dialogues,
    hold,
    hold_and_purge,
    purge_each,
)

LATER = datetime(2027, 6, 1, 12, tzinfo=UTC)
MINIMUM = 5


def _workshop(org):
    """Six people at a one-off workshop after the dialogues: one of them needs interpretation,
    one does not come."""
    event = make_event(org, title="Workshop", type_slug="training", start_date=date(2027, 3, 30))
    occurrence = event.occurrences[0]
    with time_machine.travel(occurrence.start_at - timedelta(days=3), tick=False):
        rsvps = [
            rsvp_ops.submit(
                occurrence,
                rsvp_ops.RSVPInput(name=f"W{n}", email=f"w{n}@example.org", language="es",
                                   needs_interpretation=n == 0),
                notify=False,
            ).rsvp
            for n in range(6)
        ]  # fmt: skip
        db.session.commit()
    with time_machine.travel(occurrence.start_at + timedelta(minutes=5), tick=False):
        for rsvp in rsvps[1:]:
            toggle_check_in(rsvp)
        db.session.commit()


def _numbers(report: dict) -> dict:
    """The figures about people a report shows as numbers (dates and delegations count no
    person)."""
    flat = {f"totals.{k}": v for k, v in report["totals"].items() if k not in NOT_PEOPLE}
    for name, values in report["breakdowns"].items():
        flat.update({f"{name}.{k}": v for k, v in values.items()})
    for row in report["rapid"]:
        for key in ("alerted", "went", "arrived"):
            flat[f"rapid.{row['month']}.{row['is_drill']}.{key}"] = row[key]
    return {k: v for k, v in flat.items() if isinstance(v, int)}


def _dispatcher(org, email):
    user = UserFactory(email=email)
    db.session.add(Membership(user=user, org=org, role=OrgRole.member, is_dispatcher=True))
    db.session.commit()
    return user


def _alert(org, by, *, responders: int, going: int, at: datetime) -> None:
    for n in range(responders):
        add_responder(org, email=f"{org.slug}-{n}@example.org", use_sms=False, name=f"R{n}")
    alert = rapid_ops.open_alert(org, by, alert_input(happens_at=at), at)
    for answer in alert.answers[:going]:
        rapid_ops.answer(answer, "going", eta_minutes=9, now=at + timedelta(minutes=3))
    rapid_ops.close_alert(alert, "", now=at + timedelta(hours=1))
    db.session.commit()


def test_no_two_nested_filter_combinations_subtract_down_to_a_few_people(client, db):
    org = OrganizationFactory()
    season = four_dialogues(org)
    hold_and_purge(season)
    dialogue = db.session.scalar(sa.select(EventType.id).where(EventType.slug == "dialogue"))
    _workshop(org)
    at = datetime(2027, 4, 6, 14, tzinfo=UTC)
    # The organization's alert that month: six responders, five went.
    _alert(org, _dispatcher(org, "d1@example.net"), responders=6, going=5, at=at)
    # Another organization's alert the same month: seven responders, one went.
    other = OrganizationFactory()
    _alert(other, _dispatcher(other, "d2@example.net"), responders=7, going=1, at=at)
    set_setting("rapid_purge_after_days", 30)
    db.session.commit()
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        purge_expired()
        rapid_ops.purge_alerts()
        db.session.commit()
        client.login(admin.email)

        def report(query: str) -> dict:
            response = client.get(f"/api/v1/reports/coalition{query}")
            assert response.status_code == 200
            return response.get_json()

        everything = report("")
        nested = [
            (everything, report("?to=2027-03-29")),  # minus the workshop's date
            (everything, report(f"?type={dialogue}")),  # minus the workshop's type
            (everything, report("?from=2027-03-30")),  # minus the dialogues
            (everything, report(f"?org={org.id}")),  # minus the other organization's alert
            (report("?from=2027-03-01&to=2027-03-31"), report("?from=2027-03-05&to=2027-03-31")),
        ]
    # The attack the guard stops: 25 needing interpretation over everything, 24 without the
    # workshop, would say that one person at the workshop needed it.
    assert everything["breakdowns"]["needs"]["interpretation"] == {"withheld": True}
    assert everything["rapid"][0]["went"] == {"withheld": True}
    for wide, narrow in nested:
        a, b = _numbers(wide), _numbers(narrow)
        for key in a.keys() & b.keys():
            gap = a[key] - b[key]
            assert not 0 < gap < MINIMUM, f"{key}: {a[key]} - {b[key]} singles out {gap}"


def _figure(text: str) -> int | None:
    """A number as the page or the CSV shows it, None when hidden or withheld."""
    text = text.strip()
    return int(text) if text.isdigit() else None


def _from_api(report: dict) -> tuple:
    (row,) = report["series"]
    totals = report["totals"]
    return totals["dates"], row["registrations"], totals["series_rsvps"]


def _from_csv(text: str) -> tuple:
    found = {}
    for figure, _row, value in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        found[figure] = _figure(value)
    return (found["Dates held"], found["Registered for the series"],
            found["RSVPs from series registrations"])  # fmt: skip


def _from_page(html: str) -> tuple:
    def total(label: str) -> int | None:
        return _figure(re.search(rf'<th scope="row">{label}</th><td>([^<]*)</td>', html)[1])

    registered = re.search(r"registered for the series: ([^)]*)\)", html)[1]
    return total("Dates held"), _figure(registered), total("RSVPs from series registrations")


@pytest.mark.parametrize("change", ["cancelled", "late"])
def test_a_series_registered_count_and_a_dates_series_rsvps_do_not_subtract_to_a_few(
    client, db, change
):
    """Registered for the series 9, a date's RSVPs from series registrations 10: one person
    cancelled their registration (after coming twice). Registered 11, the second date's
    series RSVPs 10: one person registered after it. Every date of a series holds one RSVP per
    registration, so each output showing both (page, CSV, API; one date, or several with the
    number of dates beside them) must not differ by a handful."""
    org = OrganizationFactory()
    season = four_dialogues(org)
    dates = sorted(season.event.occurrences, key=lambda o: o.start_at)
    if change == "cancelled":
        # The last registration (not checked in at the later dates by `hold`) cancels, after
        # the second dialogue: its RSVPs of the two later dates are cancelled.
        with time_machine.travel(dates[1].end_at + timedelta(hours=2), tick=False):
            last = db.session.get(SeriesRegistration, season.registration_ids[-1])
            series.cancel_all(last)
            db.session.commit()
    else:
        with time_machine.travel(dates[1].end_at + timedelta(hours=2), tick=False):
            series.register(season.event,
                            rsvp_ops.RSVPInput(name="Late", email="late@example.org"),
                            notify=False)  # fmt: skip
            db.session.commit()
    hold_and_purge(season)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    shown = {}
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        shown["api"] = _from_api(client.get("/api/v1/reports/coalition").get_json())
        shown["page"] = _from_page(client.get("/admin/reports").get_data(as_text=True))
        shown["csv"] = _from_csv(client.get("/admin/reports?format=csv").get_data(as_text=True))
        for first in (2, 3):  # the three, the two last dates
            period = f"?from={dates[first - 1].start_at.date()}&to={dates[-1].start_at.date()}"
            api = client.get(f"/api/v1/reports/coalition{period}").get_json()
            shown[f"api, dates {first}-4"] = _from_api(api)
        for n, occurrence in enumerate(dates, 1):
            day = occurrence.start_at.date().isoformat()
            api = client.get(f"/api/v1/reports/coalition?from={day}&to={day}").get_json()
            shown[f"api, date {n}"] = _from_api(api)
            url = f"/events/{season.event.id}/occurrences/{occurrence.id}/report"
            shown[f"page, date {n}"] = _from_page(client.get(url).get_data(as_text=True))
            shown[f"csv, date {n}"] = _from_csv(
                client.get(f"{url}?format=csv").get_data(as_text=True)
            )
    registered = SERIES_PEOPLE - 1 if change == "cancelled" else SERIES_PEOPLE + 1
    assert {where: figures[1] for where, figures in shown.items()} == dict.fromkeys(
        shown, registered
    )
    for where, (held, registered, series_rsvps) in shown.items():
        if isinstance(series_rsvps, int):
            gap = series_rsvps - held * registered
            assert not 0 < abs(gap) < MINIMUM, (
                f"{where}: {series_rsvps} series RSVPs over {held} dates, {registered} "
                f"registered: {abs(gap)} RSVP(s) of someone who cancelled or came late"
            )
    if change == "cancelled":
        # Every date held the cancelled registration's RSVP: 10 on each, withheld everywhere.
        assert shown["api, date 3"][2] == shown["api"][2] == {"withheld": True}
    else:
        # Only the second date differs: the two last ones (11 each) are still given.
        assert shown["api, dates 3-4"] == (2, SERIES_PEOPLE + 1, 2 * (SERIES_PEOPLE + 1))
        assert shown["csv, date 4"] == (1, SERIES_PEOPLE + 1, SERIES_PEOPLE + 1)


#: The totals a date's people are counted in, as the outputs name them.
_TOTALS = {
    "rsvps": "RSVPs", "people": "People confirmed (with their guests)",
    "checked_in": "RSVPs checked in", "checked_in_people": "People checked in (with their guests)",
    "series_rsvps": "RSVPs from series registrations",
}  # fmt: skip
#: (series figure, date total): every person the series figure counts is counted again in the
#: total of each of its dates (nearly, for the registered: a cancelled or a late registration).
_CONTAINED = (
    ("registered", "rsvps"), ("registered", "people"), ("registered", "series_rsvps"),
    ("came_to_all", "rsvps"), ("came_to_all", "people"), ("came_to_all", "checked_in"),
    ("came_to_all", "checked_in_people"), ("came_to_all", "series_rsvps"),
)  # fmt: skip


def _all_figures_from_api(report: dict) -> dict:
    (row,) = report["series"]
    found = {name: report["totals"][name] for name in ("dates", *_TOTALS)}
    return {**found, "registered": row["registrations"], "came_to_all": row["came_to_all"]}


def _came_to_all(share: str, registered) -> int | None:
    """Those who came to all, as the share beside the number registered gives them back."""
    share = share.strip()
    if not share.endswith("%") or not isinstance(registered, int):
        return None
    return round(int(share[:-1]) * registered / 100)


def _all_figures_from_csv(text: str) -> dict:
    found = {}
    for figure, _row, value in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        found[figure] = value
    registered = _figure(found["Registered for the series"])
    return {
        "dates": _figure(found["Dates held"]),
        **{name: _figure(found[label]) for name, label in _TOTALS.items()},
        "registered": registered,
        "came_to_all": _came_to_all(found["Took part in all 4 dialogues"], registered),
    }


def _all_figures_from_page(html: str) -> dict:
    def total(label: str) -> int | None:
        cell = re.search(rf'<th scope="row">{re.escape(label)}</th><td>([^<]*)</td>', html)[1]
        return _figure(cell)

    registered = _figure(re.search(r"registered for the series: ([^)]*)\)", html)[1])
    share = re.search(r"took part in all 4 dialogues: (\d+%|[^(<]*)", html)[1]
    return {
        "dates": total("Dates held"),
        **{name: total(label) for name, label in _TOTALS.items()},
        "registered": registered,
        "came_to_all": _came_to_all(share, registered),
    }


def _every_output(client, season) -> dict[str, dict]:
    """The figures of the whole report (page, CSV, API), of each period from one date to the
    last (API), and of each date alone (its page and CSV, and the API filtered to its day)."""
    dates = sorted(season.event.occurrences, key=lambda o: o.start_at)
    shown = {
        "api": _all_figures_from_api(client.get("/api/v1/reports/coalition").get_json()),
        "page": _all_figures_from_page(client.get("/admin/reports").get_data(as_text=True)),
        "csv": _all_figures_from_csv(
            client.get("/admin/reports?format=csv").get_data(as_text=True)
        ),
    }
    for first in range(2, len(dates)):
        period = f"?from={dates[first - 1].start_at.date()}&to={dates[-1].start_at.date()}"
        api = client.get(f"/api/v1/reports/coalition{period}").get_json()
        shown[f"api, dates {first}-{len(dates)}"] = _all_figures_from_api(api)
    for n, occurrence in enumerate(dates, 1):
        day = occurrence.start_at.date().isoformat()
        api = client.get(f"/api/v1/reports/coalition?from={day}&to={day}").get_json()
        shown[f"api, date {n}"] = _all_figures_from_api(api)
        url = f"/events/{season.event.id}/occurrences/{occurrence.id}/report"
        shown[f"page, date {n}"] = _all_figures_from_page(client.get(url).get_data(as_text=True))
        shown[f"csv, date {n}"] = _all_figures_from_csv(
            client.get(f"{url}?format=csv").get_data(as_text=True)
        )
    return shown


def _gaps(shown: dict[str, dict]) -> list[str]:
    """Each (series figure, date total) pair both shown whose gap, over the dates shown, is a
    handful of people: those the total counts besides the series figure's people."""
    found = []
    for where, figures in shown.items():
        for whole, total in _CONTAINED:
            series_figure, date_total = figures[whole], figures[total]
            if isinstance(series_figure, int) and isinstance(date_total, int):
                gap = date_total - figures["dates"] * series_figure
                if 0 < abs(gap) < MINIMUM:
                    found.append(f"{where}: {total} {date_total} - {figures['dates']} x "
                                 f"{whole} {series_figure} = {gap}")  # fmt: skip
    return found


def test_a_dates_rsvps_and_its_series_registered_count_do_not_subtract_to_a_few(client, db):
    """The first dialogue had 13 RSVPs, 10 of them from the 10 registered for the series: 13
    beside "registered: 10" (or 43 over the four dates, 10 on each) gives back the 3 people
    who RSVPed for that date only. Its RSVPs (and people confirmed) are withheld, on that date
    and in any sum over it; the number registered and the share who came to all stay."""
    org = OrganizationFactory()
    season = four_dialogues(org)
    hold_and_purge(season)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        shown = _every_output(client, season)
    assert _gaps(shown) == []
    withheld = {"withheld": True}
    for where in ("api", "api, date 1"):
        assert shown[where]["rsvps"] == shown[where]["people"] == withheld
        assert shown[where]["registered"] == SERIES_PEOPLE
        assert shown[where]["came_to_all"] == CAME_TO_ALL
    assert shown["page"]["registered"] == shown["csv"]["registered"] == SERIES_PEOPLE
    assert shown["page"]["came_to_all"] == shown["csv"]["came_to_all"] == CAME_TO_ALL
    # The later dates, 10 RSVPs each from the 10 registered, are still given.
    assert shown["api, dates 2-4"]["rsvps"] == 3 * SERIES_PEOPLE
    assert shown["csv, date 2"]["rsvps"] == SERIES_PEOPLE


def test_a_dates_check_ins_and_those_who_came_to_all_do_not_subtract_to_a_few(client, db):
    """The last dialogue: the 5 who came to all four checked in, 5 registered did not come,
    and of 6 people who RSVPed for that date only 2 came. 7 checked in beside "came to all 4:
    5" (50% of 10) gives back the 2 who came that day without coming to all; no other figure
    of that date is small (9 confirmed did not come). Its check-ins are withheld, on that date
    and in any sum over it; the share who came to all stays."""
    org = OrganizationFactory()
    season = four_dialogues(org)
    last = max(season.event.occurrences, key=lambda o: o.start_at)
    with time_machine.travel(last.start_at - timedelta(days=2), tick=False):
        singles = [
            rsvp_ops.submit(last, rsvp_ops.RSVPInput(name=f"Last {n}", email=f"l{n}@example.org"),
                            notify=False).rsvp
            for n in range(6)
        ]  # fmt: skip
        db.session.commit()
    hold(season)
    with time_machine.travel(last.start_at + timedelta(minutes=20), tick=False):
        for rsvp in singles[:2]:
            toggle_check_in(rsvp)
        db.session.commit()
    purge_each(season)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        shown = _every_output(client, season)
    assert _gaps(shown) == []
    withheld = {"withheld": True}
    date = shown["api, date 4"]
    assert date["came_to_all"] == CAME_TO_ALL and date["registered"] == SERIES_PEOPLE
    assert date["checked_in"] == date["checked_in_people"] == withheld
    assert date["rsvps"] == SERIES_PEOPLE + 6  # 6 apart from the 10 registered: shown
    assert shown["api, dates 3-4"]["checked_in"] == withheld
    assert shown["csv, date 3"]["checked_in"] == CAME_TO_ALL
