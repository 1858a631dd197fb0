"""A look at personal data (an attendee list, a roster, an alert) is committed before its page
is shown, without waiting for the WAL flush on PostgreSQL: the setting goes with the COMMIT, in
one message, for that transaction only."""

import sqlalchemy as sa

from coalition.db import commit_look
from coalition.rsvps.models import AuditEntry
from coalition.rsvps.operations import record_access
from tests.factories import make_event


def test_a_look_is_committed_without_waiting_for_the_flush_and_only_it(app, db, backend):
    org_id = make_event(title="Vigil for the detained").host_org_id
    db.session.commit()
    seen: list[str] = []

    def listener(_connection, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with app.test_request_context("/"):
            record_access(None, org_id, "view_attendees")
            commit_look(db.session)
            record_access(None, org_id, "check_in")  # the next transaction: an ordinary one
            db.session.commit()
            db.session.remove()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    writes = [s.split(" (")[0] for s in seen if not s.lstrip().startswith("SELECT")]
    if backend == "postgresql":
        assert writes == ["INSERT INTO audit_entries",
                          "SET LOCAL synchronous_commit TO off; COMMIT",
                          "INSERT INTO audit_entries"]  # fmt: skip
    else:
        assert writes == ["INSERT INTO audit_entries"] * 2
    with db.engine.connect() as other:  # both committed, seen from another connection
        actions = other.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["view_attendees", "check_in"]
