"""Rapid response figures from what the alerts leave once erased: drills apart, times to the
first and the 3rd "On my way", nobody's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from coalition.extensions import db
from coalition.rapid import operations as ops
from coalition.settings.operations import set_setting
from tests.factories import UserFactory
from tests.rapid.conftest import add_responder, alert_input, dispatcher, org  # noqa: F401

START = datetime(2027, 4, 6, 14, tzinfo=UTC)


def _alert(host, by, *, going: int, arrived: int, is_drill=False, at=START):
    alert = ops.open_alert(host, by, alert_input(is_drill=is_drill, happens_at=at), at)
    for minute, answer in enumerate(alert.answers[:going], start=1):
        ops.answer(answer, "going", eta_minutes=10, now=at + timedelta(minutes=minute))
    for minute, answer in enumerate(alert.answers[:arrived], start=15):
        ops.answer(answer, "arrived", now=at + timedelta(minutes=minute))
    ops.close_alert(alert, "", now=at + timedelta(hours=1))
    return alert


def test_alerts_per_month_with_times_to_going_and_drills_apart(client, org, dispatcher):  # noqa: F811
    for n in range(7):
        add_responder(org, email=f"r{n}@example.org", use_sms=False, name=f"R{n}")
    _alert(org, dispatcher, going=6, arrived=5)
    _alert(org, dispatcher, going=2, arrived=1, is_drill=True, at=START + timedelta(days=2))
    db.session.commit()
    set_setting("rapid_purge_after_days", 30)
    db.session.commit()
    with time_machine.travel(START + timedelta(days=40), tick=False):
        assert ops.purge_alerts() == 2
        db.session.commit()
        admin = UserFactory(is_admin=True)
        db.session.commit()
        client.login(admin.email)
        rapid = client.get("/api/v1/reports/coalition").get_json()["rapid"]
        page = client.get("/admin/reports").get_data(as_text=True)
        csv = client.get("/admin/reports?format=csv").get_data(as_text=True)
        org_csv = client.get(f"/orgs/{org.slug}/reports?format=csv").get_data(as_text=True)
    real, drill = rapid
    assert (real["month"], real["is_drill"], real["alerts"]) == ("2027-04", False, 1)
    assert real["alerted"] == 7 and real["went"] == 6 and real["arrived"] == 5
    assert real["median_minutes_to_first_going"] == 1.0
    assert real["median_minutes_to_going_3"] == 3.0
    assert real["median_minutes_to_first_arrival"] == 15.0
    # The drill: two went, one arrived: small numbers hidden, no times of so few people.
    assert drill["is_drill"] and drill["went"] == {"fewer_than": 5}
    assert drill["median_minutes_to_first_going"] is None
    assert "Rapid response" in page and "R1" not in page
    # The CSV export carries the same figures, protected the same way, by month and by town.
    for export in (csv, org_csv):
        lines = export.splitlines()
        month = "Rapid response by month: "
        assert f"{month}Alerts,2027-04,1" in lines
        assert f"{month}Responders alerted,2027-04,7" in lines
        assert f"{month}Responders who went,2027-04,6" in lines
        assert f"{month}Arrived,2027-04,5" in lines
        assert f"{month}Median minutes to the first “On my way”,2027-04,1.0" in lines
        assert f"{month}Median minutes to the third “On my way”,2027-04,3.0" in lines
        assert f"{month}Median minutes to the first responder on site,2027-04,15.0" in lines
        assert f"{month}Responders who went,2027-04 (drills),fewer than 5" in lines
        assert f"{month}Arrived,2027-04 (drills),fewer than 5" in lines
        assert f"{month}Median minutes to the first “On my way”,2027-04 (drills)," in lines
        assert any(line.startswith("Rapid response by town: Alerts,") for line in lines)
        assert "R1" not in export and "example.org" not in export


def test_rapid_response_by_town_names_only_public_towns(client, app, org, dispatcher):  # noqa: F811
    app.config["REPORT_TOWNS"] = ["Springfield"]
    for n in range(6):
        add_responder(org, email=f"r{n}@example.org", use_sms=False, name=f"R{n}",
                      towns=("Springfield", "Ogdenville"))  # fmt: skip
    _alert(org, dispatcher, going=5, arrived=5)
    alert = ops.open_alert(
        org, dispatcher, alert_input(town="ogdenville ", happens_at=START), START
    )
    ops.answer(alert.answers[0], "going", eta_minutes=5, now=START + timedelta(minutes=2))
    ops.close_alert(alert, "", now=START + timedelta(hours=1))
    db.session.commit()
    set_setting("rapid_purge_after_days", 30)
    db.session.commit()
    with time_machine.travel(START + timedelta(days=40), tick=False):
        ops.purge_alerts()
        db.session.commit()
        admin = UserFactory(is_admin=True)
        db.session.commit()
        client.login(admin.email)
        towns = client.get("/api/v1/reports/coalition").get_json()["rapid_by_town"]
        only = client.get("/api/v1/reports/coalition?town=springfield").get_json()["rapid"]
        page = client.get("/admin/reports", headers={"Accept-Language": "es"})
    springfield, other = towns
    assert (springfield["town"], springfield["alerts"], springfield["went"]) == (
        "Springfield",
        1,
        5,
    )
    assert springfield["median_minutes_to_first_going"] == 1.0
    # A town nobody published is "other", never the town as typed; one responder went: hidden.
    assert (other["town"], other["alerts"], other["went"]) == ("other", 1, {"fewer_than": 5})
    assert other["median_minutes_to_first_going"] is None
    assert [row["alerts"] for row in only] == [1]
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ogdenville" not in text and "ogdenville" not in text
