"""PostgreSQL plans a page's statements once per connection, not on every request: psycopg
prepares a statement the fifth time a connection runs it, and a request that only read ends its
transaction with COMMIT, which keeps them (a ROLLBACK drops them all). A request that wrote and
failed is still rolled back."""

import pytest
import sqlalchemy as sa

from coalition.events.models import Event
from tests.factories import make_event


@pytest.fixture
def on_postgres(backend):
    if backend != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")


def _prepared(db) -> list[str]:
    """What the pool's connections have prepared (each request's connection comes back to it)."""
    statements = []
    pool = db.engine.pool
    connections = [db.engine.connect() for _ in range(pool.checkedin())]
    try:
        for connection in connections:
            statements += connection.execute(
                sa.text("SELECT statement FROM pg_prepared_statements")
            ).scalars()
    finally:
        for connection in connections:
            connection.close()
    return statements


def test_a_page_that_only_reads_is_planned_once(client, db, on_postgres):
    make_event(title="Vigil for the detained")
    db.session.commit()
    db.session.remove()
    for _ in range(7):
        assert client.get("/calendar").status_code == 200
    db.session.remove()
    prepared = _prepared(db)
    assert any("FROM events" in s or "FROM occurrences" in s for s in prepared), prepared


def test_a_request_that_failed_after_writing_is_rolled_back(app, client, db, on_postgres):
    event = make_event(title="Vigil for the detained")
    db.session.commit()

    @app.route("/test-write-then-fail")
    def _write_then_fail():
        row = db.session.get(Event, event.id)
        row.capacity = 99
        db.session.flush()
        raise RuntimeError("after the write")

    app.view_functions["_write_then_fail"].access_rule = lambda **_: True
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/test-write-then-fail").status_code == 500
    db.session.remove()
    assert db.session.get(Event, event.id).capacity != 99


def test_a_failed_flush_caught_by_the_view_is_rolled_back(app, client, db, on_postgres):
    """A view that catches an integrity error and answers 400 leaves an inactive transaction:
    the request ends as before, without an error of its own."""
    from coalition.orgs.models import Organization

    first = make_event(title="Vigil for the detained").host_org
    db.session.commit()

    @app.route("/test-duplicate")
    def _duplicate():
        db.session.add(Organization(name="Copy", slug=first.slug))
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            return "taken", 400
        return "saved", 200

    app.view_functions["_duplicate"].access_rule = lambda **_: True
    assert client.get("/test-duplicate").status_code == 400
    assert client.get("/calendar").status_code == 200
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1
