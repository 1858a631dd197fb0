"""PostgreSQL goes away mid-run: pages and the API answer 503 with Retry-After and say, in the
visitor's language, that nothing was saved; the worker logs the outage once and its end once.

The app reaches the real test database through a TCP relay on loopback; "the database goes
away" is the relay dropping every connection and refusing new ones (what a crashed or
restarted server looks like to the app), and coming back is the relay forwarding again.
"""

from __future__ import annotations

import logging
import socket
import threading
from contextlib import suppress

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coalition import create_app
from coalition.extensions import db as _db
from coalition.rsvps.models import RSVP
from tests.conftest import Browser
from tests.factories import make_event


class Relay:
    """Forwards loopback connections to the database while `up`."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.up = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def go_down(self):
        self.up = False
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def come_back(self):
        self.up = True

    def close(self):
        self.go_down()
        self.server.close()


@pytest.fixture
def relayed(app, backend):
    """A second app on the test's PostgreSQL database, reached through a `Relay`."""
    if backend != "postgresql":
        pytest.skip("a database server that goes away: PostgreSQL")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    other = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=relay.port).render_as_string(
                hide_password=False
            ),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        }
    )
    yield other, relay
    relay.close()
    with other.app_context():
        _db.engine.dispose()


def test_pages_and_api_answer_503_saying_nothing_was_saved(db, relayed):
    other, relay = relayed
    event = make_event(capacity=10)
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    client = Browser(other.test_client())
    assert client.get(f"/events/{event.id}").status_code == 200
    token = client.csrf_token(url)

    relay.go_down()
    page = client.get(f"/events/{event.id}", headers={"Accept-Language": "es"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert "nada de lo que envió se guardó" in page.get_data(as_text=True)
    form = {"csrf_token": token, "name": "Lupe", "email": "lupe@example.org", "phone": "",
            "language": "es", "party_size": "2"}  # fmt: skip
    answer = client.post(url, data=form)
    assert answer.status_code == 503 and "nothing you sent was saved" in answer.get_data(
        as_text=True
    )
    api = client.post(f"/api/v1/events/{event.id}/rsvps", json={"name": "Lupe"},
                      headers={"Accept-Language": "pt"})  # fmt: skip
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert "nada do que você enviou foi salvo" in api.get_json()["error"]["message"]

    relay.come_back()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 0
    assert client.get(f"/events/{event.id}").status_code == 200
    assert client.post(url, data=form).status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RSVP)) == 1


def test_the_worker_logs_the_outage_once_and_its_end_once(db, relayed, caplog):
    from coalition import worker
    from coalition.mail.delivery import deliver_due

    other, relay = relayed
    if hasattr(worker, "database"):
        worker.database.since = None  # this process's view of earlier tests
    job = worker._job(other, deliver_due)
    job()
    relay.go_down()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(10):  # 20 s of delivery runs
            job()
        relay.come_back()
        job()
        job()
    records = [r for r in caplog.records if r.name == "coalition.worker"]
    assert [r.getMessage().split(" (")[0].split(" after")[0] for r in records] == [
        "database unreachable",
        "database reachable again",
    ]
    assert not any(r.exc_info for r in caplog.records)
