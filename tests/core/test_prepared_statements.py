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


def test_a_request_that_failed_after_writing_is_rolled_back(app, db, on_postgres):
    event = make_event(title="Vigil for the detained")
    db.session.commit()
    with app.test_request_context("/"):
        db.session.get(Event, event.id).capacity = 99
        db.session.flush()
        app.do_teardown_request(RuntimeError("after the write"))
        db.session.remove()
    assert db.session.get(Event, event.id).capacity != 99


def test_writes_not_committed_by_a_request_that_answered_are_rolled_back(app, db, on_postgres):
    """A form refused after an autoflush (its changes written, not committed) is not saved."""
    event = make_event(title="Vigil for the detained")
    db.session.commit()
    with app.test_request_context("/"):
        db.session.get(Event, event.id).capacity = 99
        db.session.execute(sa.select(Event.id)).all()  # autoflush: the UPDATE is sent
        app.do_teardown_request(None)
        db.session.remove()
    assert db.session.get(Event, event.id).capacity != 99


def test_a_failed_flush_caught_by_the_view_ends_quietly(app, db, on_postgres):
    """A view that catches an integrity error and answers 400 leaves an inactive transaction:
    the request ends with the rollback, as before, without an error of its own."""
    from coalition.orgs.models import Organization

    first = make_event(title="Vigil for the detained").host_org
    db.session.commit()
    with app.test_request_context("/"):
        db.session.add(Organization(name="Copy", slug=first.slug))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        app.do_teardown_request(None)  # raised PendingRollbackError before
        db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1
