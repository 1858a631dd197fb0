"""HTTP behaviour for subscription polling: validators, 304s, invalidation, errors."""

from datetime import time

from coalition.events import operations as ops
from tests.factories import event_input, make_event


def test_etag_and_last_modified_give_304(client, db):
    make_event()
    first = client.get("/calendar.ics")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(
        "/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304


def test_a_change_invalidates_the_cached_feed(client, db):
    event = make_event()
    first = client.get("/calendar.ics")
    ops.update_event(event, event_input(title="Rally moved", start_time=time(16, 0),
                                        end_time=time(17, 0)))  # fmt: skip
    db.session.commit()
    second = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert b"Rally moved" in second.data
    assert second.headers["ETag"] != first.headers["ETag"]


def test_filters_are_part_of_the_cache_key(client, db):
    make_event(title="A rally")
    make_event(title="A vigil", type_slug="vigil")
    rallies = client.get("/calendar.ics?type=rally")
    vigils = client.get("/calendar.ics?type=vigil")
    assert b"A rally" in rallies.data and b"A vigil" not in rallies.data
    assert b"A vigil" in vigils.data and b"A rally" not in vigils.data
    both = client.get("/calendar.ics?type=rally&type=vigil")
    assert b"A rally" in both.data and b"A vigil" in both.data


def test_unknown_filter_values_are_a_400_with_a_message(client, db):
    make_event()
    for query, word in (
        ("type=picnic", "picnic"),
        ("org=nobody", "nobody"),
        ("lang=xx", "xx"),
        ("from=yesterday", "from"),
    ):
        response = client.get(f"/calendar.ics?{query}")
        assert response.status_code == 400, query
        assert word in response.get_data(as_text=True)


def test_unknown_org_feed_is_404(client, db):
    assert client.get("/orgs/nobody/calendar.ics").status_code == 404
