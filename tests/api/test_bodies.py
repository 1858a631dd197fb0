"""Every JSON body is read within bounds (size, depth): a hostile one is a 400, never a 500."""

import pytest
import sqlalchemy as sa

from coalition.rsvps.models import RSVP
from coalition.sessions.models import SessionSignup
from tests.factories import make_event
from tests.sessions.helpers import add_session

DEEP_LISTS = "[" * 100_000
DEEP_CLOSED = "[" * 5_000 + "]" * 5_000
DEEP_OBJECTS = '{"a":' * 200 + "1" + "}" * 200


def _paths(event):
    occurrence = event.occurrences[0]
    workshop = add_session(occurrence, "Taller", "12:00", "13:00", capacity=5)
    return [
        f"/api/v1/events/{event.id}/rsvps",
        f"/api/v1/events/{event.id}/sessions/{workshop.id}/signups",
    ]


@pytest.mark.parametrize("body", [DEEP_LISTS, DEEP_CLOSED, DEEP_OBJECTS])
def test_deeply_nested_json_is_refused_with_a_400_and_saves_nothing(client, db, body):
    event = make_event(capacity=50)
    for path in _paths(event):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert response.get_json()["error"]["status"] == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionSignup)) == 0


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client, db, app):
    event = make_event(capacity=50)
    body = '{"name": "' + "a" * (app.config["MAX_CONTENT_LENGTH"] + 1) + '"}'
    response = client.post(
        f"/api/v1/events/{event.id}/rsvps", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
