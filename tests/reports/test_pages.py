"""The report pages, CSV and API: the right counts, small numbers hidden, the right people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, UserFactory, member_of
from tests.reports.helpers import four_dialogues, hold_and_purge

LATER = datetime(2027, 6, 1, 12, tzinfo=UTC)


def _season(db):
    org = OrganizationFactory()
    season = four_dialogues(org)
    hold_and_purge(season)
    return org, season


def test_the_coalition_report_shows_the_counts_the_share_and_hides_small_numbers(client, db):
    _season(db)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        page = client.get("/admin/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "took part in all 4 dialogues: 50% (of those who registered for the series)" in html
    assert "fewer than 5" in html  # 2 walk-up RSVPs checked in on the first date only, etc.
    assert "<svg" in html and 'role="img"' in html
    assert "Persona" not in html and "s1@example.org" not in html


def test_csv_and_api_give_the_same_protected_figures(client, db):
    _season(db)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        csv = client.get("/admin/reports?format=csv").get_data(as_text=True)
        api = client.get("/api/v1/reports/coalition").get_json()
    assert "Dates held,,4" in csv
    assert api["totals"]["dates"] == 4
    assert api["series"][0]["came_to_all_percent"] == 50
    assert api["totals"]["walk_ins"] == 0
    # 43 RSVPs, 43 people confirmed: the first date's 13 beside the 10 registered for the
    # series would give back its 3 single-date RSVPs, so they are withheld there and in any
    # sum over it (tests/reports/test_differencing.py).
    withheld = {"withheld": True}
    assert api["totals"]["rsvps"] == api["totals"]["people"] == withheld
    assert api["breakdowns"]["needs"]["interpretation"] == 24
    # The first date had 1 no-show (of 13), and 2 English speakers came to each later one:
    # small on their own, so withheld from any sum over those dates (the 4 dates, minus the
    # 3 later ones, would give them back), with the figure beside each that would too.
    assert api["totals"]["no_shows"] == api["totals"]["checked_in"] == withheld
    assert api["totals"]["checked_in_people"] == withheld  # the first date: 13 - 12 gives 1
    assert api["breakdowns"]["language"] == {"Español": withheld, "English": withheld}
    # 3 RSVPs made the day before: hidden, and the only other bucket withheld with it (the
    # buckets add up to the RSVPs: where they are shown, 43 - 40 would give the 3 back).
    signups = api["breakdowns"]["signups"]
    assert signups["1"] == {"fewer_than": 5} and signups["30+"] == withheld
    assert "The day before,fewer than 5" in csv
    assert "withheld (it would give a small figure back)" in csv
    # One date alone shows its own counts: the second had 10 RSVPs, all checked in.
    with time_machine.travel(LATER, tick=False):
        second = client.get("/api/v1/reports/coalition?from=2027-03-11&to=2027-03-11").get_json()
    assert second["totals"]["checked_in"] == 10 and second["totals"]["no_shows"] == 0
    # Its 2 English speakers are fewer than 5, and the Spanish speakers are withheld with
    # them (the people confirmed, 10, minus 8 would give the 2 back).
    assert second["breakdowns"]["language"] == {"Español": withheld, "English": {"fewer_than": 5}}
    assert second["totals"]["people"] == 10
    with time_machine.travel(LATER, tick=False):
        assert (
            client.get("/api/v1/reports/coalition?town=boston").get_json()["totals"]["dates"] == 4
        )
        assert (
            client.get("/api/v1/reports/coalition?town=Lowell").get_json()["totals"]["dates"] == 0
        )


def test_small_cells_hide_a_complementary_one(app):
    from coalition.reports.cells import protect

    cells = protect({"es": 30, "en": 2, "pt": 6}, 5)
    assert cells["en"].hidden and cells["pt"].hidden and not cells["es"].hidden
    lone = protect({"es": 30, "en": 2, "pt": 1}, 5)
    assert lone["en"].hidden and lone["pt"].hidden and not lone["es"].hidden


def test_who_may_read_which_report(client, db, make_client):
    org, season = _season(db)
    other = OrganizationFactory()
    organizer = member_of(org, OrgRole.organizer, email="org@example.net")
    stranger = member_of(other, OrgRole.organizer, email="other@example.net")
    db.session.commit()
    occurrence = season.event.occurrences[0]
    date_url = f"/events/{season.event.id}/occurrences/{occurrence.id}/report"
    with time_machine.travel(LATER, tick=False):
        client.login(organizer.email)
        assert client.get(f"/orgs/{org.slug}/reports").status_code == 200
        assert client.get(date_url).status_code == 200
        assert client.get("/admin/reports").status_code == 403
        assert client.get("/api/v1/reports/coalition").status_code == 403
        outsider = make_client()
        outsider.login(stranger.email)
        assert outsider.get(f"/orgs/{org.slug}/reports").status_code in (403, 404)
        assert outsider.get(date_url).status_code in (403, 404)


def test_a_bad_filter_is_a_clear_400(client, db):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    client.login(admin.email)
    page = client.get("/admin/reports?from=yesterday")
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.get_data(as_text=True)
    api = client.get("/api/v1/reports/coalition?language=xx")
    assert api.status_code == 400 and "choose one" in api.get_json()["error"]["message"]


def test_a_dates_report_waits_for_the_date_to_end(client, db):
    org = OrganizationFactory()
    season = four_dialogues(org)
    organizer = member_of(org, OrgRole.organizer, email="host@example.net")
    db.session.commit()
    last = max(season.event.occurrences, key=lambda o: o.start_at)
    url = f"/events/{season.event.id}/occurrences/{last.id}/report"
    with time_machine.travel(last.start_at, tick=False):
        client.login(organizer.email)
        assert client.get(url).status_code == 404
    with time_machine.travel(last.end_at + timedelta(minutes=1), tick=False):
        page = client.get(url)
        assert page.status_code == 200
        assert "Movement building dialogue" in page.get_data(as_text=True)


def test_the_report_api_tells_an_anonymous_program_to_sign_in(client):
    # A program gets a JSON 401 (documented in the OpenAPI document), not a sign-in page.
    for url in ("/api/v1/reports/coalition", "/api/v1/reports/orgs/anything"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.get_json()["error"]["status"] == 401
    page = client.get("/admin/reports")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_share_whose_complement_is_small_is_withheld(client, db):
    """10 registered for the series, 7 came to all four: "70%" beside "registered: 10" would
    say that 3 people missed a dialogue. The share and the 7 are withheld; the 10 is shown."""
    org = OrganizationFactory()
    season = four_dialogues(org)
    hold_and_purge(season, came_to_all=7)
    admin = UserFactory(is_admin=True)
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        client.login(admin.email)
        html = client.get("/admin/reports").get_data(as_text=True)
        csv = client.get("/admin/reports?format=csv").get_data(as_text=True)
        api = client.get("/api/v1/reports/coalition").get_json()
        org_api = client.get(f"/api/v1/reports/orgs/{org.slug}").get_json()
    for series in (api["series"][0], org_api["series"][0]):
        assert series["registrations"] == 10
        assert series["came_to_all"] == {"withheld": True}
        assert series["came_to_all_percent"] is None
    assert "70%" not in html and "70%" not in csv and "30%" not in html
    assert "took part in all 4 dialogues: the share is withheld" in html
    assert "registered for the series: 10" in html
    lines = csv.splitlines()
    assert (
        "Took part in all 4 dialogues,Movement building dialogue,"
        "withheld (it would give a small figure back)" in lines
    )
    assert "Registered for the series,Movement building dialogue,10" in lines


def test_the_share_cells_follow_the_complement_rule(app):
    from coalition.reports.figures import _came_to_all

    def shown(whole, part):
        w, p, share = _came_to_all(whole, part, 5)
        return (w.value, None if p.hidden else p.value, share)

    assert shown(10, 5) == (10, 5, 50)
    assert shown(10, 10) == (10, 10, 100)  # nobody missed one: 0 tells about no one
    assert shown(10, 7) == (10, None, None)  # 3 missed one
    assert shown(10, 2) == (10, None, None)  # 2 came to all
    assert shown(12, 8) == (12, None, None)  # 4 missed one
    assert shown(13, 8) == (13, 8, 62)
    assert shown(3, 3) == (None, None, None)
