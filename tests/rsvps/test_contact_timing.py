"""Possession, not knowledge, in time too (issue 24, item 7): a submission whose contact already
has an RSVP does the same work as a stranger's, so it cannot answer faster or slower.

What is checked here is the deterministic part, never a clock: the same SQL statements, in the
same order (apart from keeping or undoing a savepoint), and the same answer (status, body once
the typed contact and the CSRF token are masked, headers, cookies set). The times themselves are
measured over hundreds of requests by `bench/contact_timing_bench.py`.
"""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from coalition.mail.models import OutgoingEmail
from coalition.rsvps.models import RSVP
from tests.factories import make_event

OWNER = "owner@example.org"
#: The savepoint of `coalition.core.same_work.tried` ends kept or undone: the one difference.
_SAVEPOINT_END = re.compile(r"^(RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")


def _normalized(statements: list[str]) -> list[str]:
    return [_SAVEPOINT_END.sub("END SAVEPOINT ", statement) for statement in statements]


def _side_by_side(one: list[str], other: list[str]) -> str:
    """Two lists of statements, a line each, to read where they part."""
    pairs = itertools.zip_longest(one, other, fillvalue="")
    return "\n".join(f"{a.split(chr(10))[0][:70]:72} {b.split(chr(10))[0][:70]}" for a, b in pairs)


def _answer(response, masked: str) -> dict:
    """Everything a submitter sees, with what they typed and the CSRF token taken out."""
    body = response.get_data(as_text=True).replace(masked, "…")
    body = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", body)
    headers = sorted(
        (name, value if name != "Set-Cookie" else value.split("=", 1)[0])
        for name, value in response.headers.items()
        if name not in ("Content-Length", "Date")
    )
    return {"status": response.status_code, "body": body, "headers": headers}


def _messages(db) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingEmail.kind)))


@pytest.fixture
def event(client, db):
    event = make_event(capacity=50)
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    first = client.submit(url, {"name": "Owner", "email": OWNER, "language": "en",
                                "party_size": "1"}, page=url)  # fmt: skip
    assert first.status_code == 200
    return event


def test_the_rsvp_form_runs_the_same_statements_and_answers_the_same(
    event, db, make_client, queries
):
    url = f"/events/{event.id}/occurrences/{event.occurrences[0].id}/rsvp"
    fields = {"name": "Stranger", "language": "es", "party_size": "3",
              "consents_to_reminders": "y"}  # fmt: skip
    runs = {}
    tries = [("known", OWNER), ("fresh", "fresh@example.org"), ("known again", OWNER),
             ("fresh again", "fresh2@example.org")]  # fmt: skip
    for label, email in tries:
        attacker = make_client()
        token = attacker.csrf_token(url)
        with queries() as statements:
            response = attacker.post(url, data={**fields, "email": email, "csrf_token": token})
        masked = "o•••@e•••.org" if email == OWNER else "f•••@e•••.org"
        runs[label] = (_normalized(statements), _answer(response, masked))

    assert runs["known"][1]["status"] == 200
    for label in ("fresh", "known again", "fresh again"):
        assert runs[label][1] == runs["known"][1], label
        # The same statements, in the same order: no branch skips or adds a write or a read.
        assert runs[label][0] == runs["known"][0], _side_by_side(runs[label][0], runs["known"][0])
    # The work done for the known contact was undone: one RSVP each for the two strangers, and
    # the owner told once (the second time within the hour is written, then undone).
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 3
    assert sorted(_messages(db)) == ["rsvp_already"] + ["rsvp_confirmation"] * 3


def test_the_api_runs_the_same_statements_and_answers_the_same(event, client, db, queries):
    url = f"/api/v1/events/{event.id}/rsvps"
    body = {"name": "Stranger", "party_size": 2, "language": "en"}
    runs = {}
    for label, email in (("known", OWNER), ("fresh", "fresh@example.org"),
                         ("known again", OWNER)):  # fmt: skip
        with queries() as statements:
            response = client.post(url, json={**body, "email": email})
        answer = _answer(response, "")
        answer["body"] = {**response.get_json(), "sent_to": ""}
        runs[label] = (_normalized(statements), answer)

    assert runs["known"][1]["status"] == 202
    for label in ("fresh", "known again"):
        assert runs[label][1] == runs["known"][1], label
        assert runs[label][0] == runs["known"][0], _side_by_side(runs[label][0], runs["known"][0])
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 2
    assert sorted(_messages(db)) == ["rsvp_already", "rsvp_confirmation", "rsvp_confirmation"]


def test_a_known_contact_still_changes_nothing_of_the_owners_rsvp(event, client, db):
    owner = db.session.scalar(sa.select(RSVP))
    before = {column: getattr(owner, column) for column in ("name", "party_size", "email_hash")}
    url = f"/api/v1/events/{event.id}/rsvps"
    assert client.post(url, json={"name": "X", "email": OWNER, "party_size": 4}).status_code == 202
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RSVP)).all()
    assert len(rows) == 1
    assert {column: getattr(rows[0], column) for column in before} == before
