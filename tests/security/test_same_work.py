"""Possession, not knowledge, in time too (issue 24, item 7): a submission whose contact is
already known does the same work as a stranger's, so it cannot answer faster or slower.

Checked here is the deterministic part, never a clock: the same SQL statements, in the same order
(apart from a savepoint kept or undone, `coalition.core.same_work`), and the same answer (status,
body once what was typed and the CSRF token are masked, headers, the names of cookies set), for
every public entry point that takes a contact. The times themselves are measured over hundreds
of requests by `bench/contact_timing_bench.py`.
"""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from coalition.delegations import operations as delegation_ops
from coalition.extensions import db as _db
from coalition.mail.models import OutgoingEmail
from coalition.rapid.models import Responder
from coalition.rsvps.models import RSVP
from coalition.tokens import make_token
from coalition.volunteers import operations as volunteer_ops
from coalition.volunteers.models import Helper, RoleKind
from tests.factories import OrganizationFactory, UserFactory, make_event

OWNER = "owner@example.org"
#: A savepoint of `same_work.tried` ends kept or undone: the one difference allowed.
_SAVEPOINT_END = re.compile(r"^(RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) ")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
#: A masked contact (`j•••@g•••.com`, `•••• 0199`): where the link went, as typed.
_MASKED = re.compile(r"[^\s<>\"]*•[^\s<>\"]*(?: \d{4})?")


def _side_by_side(one: list[str], other: list[str]) -> str:
    """Two lists of statements, a line each, to read where they part."""
    pairs = itertools.zip_longest(one, other, fillvalue="")
    return "\n".join(f"{a.split(chr(10))[0][:70]:72} {b.split(chr(10))[0][:70]}" for a, b in pairs)


def _answer(response) -> dict:
    """Everything a submitter sees, with the masked contact and the CSRF token taken out."""
    if response.is_json:
        body = {key: ("…" if key == "sent_to" else value) for key, value in response.json.items()}
    else:
        body = _MASKED.sub("…", _CSRF.sub("", response.get_data(as_text=True)))
    headers = sorted(
        (name, value.split("=", 1)[0] if name == "Set-Cookie" else value)
        for name, value in response.headers.items()
        if name not in ("Content-Length", "Date")
    )
    return {"status": response.status_code, "body": body, "headers": headers}


def _same(queries, tries: list[tuple[str, object]]) -> dict:
    """Run each `(label, send)`; assert every one ran the first's statements and answered as it
    did. Returns the answers by label."""
    runs = {}
    for label, send in tries:
        with queries() as statements:
            response = send()
        runs[label] = ([_SAVEPOINT_END.sub("END SAVEPOINT ", s) for s in statements], response)
    (first, (statements, response)), *others = runs.items()
    for label, (other_statements, other) in others:
        assert _answer(other) == _answer(response), f"{label} answers differently from {first}"
        # The same statements, in the same order: no branch skips or adds a write or a read.
        assert other_statements == statements, _side_by_side(other_statements, statements)
    return {label: response for label, (_, response) in runs.items()}


def _kinds(db) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(OutgoingEmail.kind)))


def _form_post(make_client, url: str, fields: dict, page: str | None = None):
    """A new visitor's browser, holding the form's CSRF token: only the POST is sent."""
    browser = make_client()
    token = browser.csrf_token(page or url)
    return lambda: browser.post(url, data={**fields, "csrf_token": token})


@pytest.fixture
def event(client, db):
    event = make_event(capacity=50)
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/rsvp"
    fields = {"name": "Owner", "email": OWNER, "language": "en", "party_size": "1"}
    assert client.submit(url, fields, page=url).status_code == 200
    return event


# RSVPs -----------------------------------------------------------------------------------------


def test_the_rsvp_form_runs_the_same_statements_and_answers_the_same(
    event, db, make_client, queries
):
    url = f"/events/{event.id}/occurrences/{event.occurrences[0].id}/rsvp"
    fields = {"name": "Stranger", "language": "es", "party_size": "3",
              "consents_to_reminders": "y"}  # fmt: skip
    tries = [("known", OWNER), ("fresh", "fresh@example.org"), ("known again", OWNER),
             ("fresh again", "fresh2@example.org")]  # fmt: skip
    answers = _same(
        queries,
        [
            (label, _form_post(make_client, url, {**fields, "email": email}))
            for label, email in tries
        ],
    )
    assert answers["known"].status_code == 200
    # What was done for the known contact was undone: one RSVP for each stranger, and the owner
    # told once (the second time within the hour, the notice is written and undone).
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 3
    assert _kinds(db) == ["rsvp_already"] + ["rsvp_confirmation"] * 3


def test_the_rsvp_api_runs_the_same_statements_and_answers_the_same(event, client, db, queries):
    url = f"/api/v1/events/{event.id}/rsvps"
    body = {"name": "Stranger", "party_size": 2, "language": "en"}
    tries = [("known", OWNER), ("fresh", "fresh@example.org"), ("known again", OWNER)]
    answers = _same(
        queries,
        [(label, lambda e=email: client.post(url, json={**body, "email": e}))
         for label, email in tries],
    )  # fmt: skip
    assert answers["known"].status_code == 202
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 2
    assert _kinds(db) == ["rsvp_already", "rsvp_confirmation", "rsvp_confirmation"]


def test_a_known_contact_still_changes_nothing_of_the_owners_rsvp(event, client, db):
    owner = db.session.scalar(sa.select(RSVP))
    before = {column: getattr(owner, column) for column in ("name", "party_size", "email_hash")}
    url = f"/api/v1/events/{event.id}/rsvps"
    assert client.post(url, json={"name": "X", "email": OWNER, "party_size": 4}).status_code == 202
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RSVP)).all()
    assert len(rows) == 1
    assert {column: getattr(rows[0], column) for column in before} == before


def test_joining_a_delegation_runs_the_same_statements_and_the_lead_hears_of_strangers_only(
    event, db, make_client, queries
):
    bus = delegation_ops.start(
        event.occurrences[0],
        delegation_ops.DelegationInput(name="Springfield bus", town="Springfield",
                                       lead_name="Lead", lead_email="lead@example.org"),
    )  # fmt: skip
    db.session.commit()
    url = f"/delegations/{bus.id}/join/{bus.join_secret}"
    fields = {"name": "Rider", "language": "en", "party_size": "1"}
    _same(queries, [
        ("known", _form_post(make_client, url, {**fields, "email": OWNER})),
        ("fresh", _form_post(make_client, url, {**fields, "email": "rider@example.org"})),
    ])  # fmt: skip
    kinds = _kinds(db)
    assert kinds.count("delegation_joined") == 1 and kinds.count("rsvp_already") == 1


# Helpers, responders, accounts -------------------------------------------------------------------


@pytest.fixture
def role(event, db):
    role = volunteer_ops.add_role(
        event.occurrences[0], volunteer_ops.RoleInput(kind=RoleKind.marshal, needed=10)
    )
    volunteer_ops.submit(role, volunteer_ops.HelperInput(name="Owner", email=OWNER))
    db.session.commit()
    return role


def test_helper_sign_up_runs_the_same_statements_and_answers_the_same(
    event, role, db, make_client, client, queries
):
    occurrence = event.occurrences[0]
    url = f"/events/{event.id}/occurrences/{occurrence.id}/help"
    fields = {"role": str(role.id), "name": "Stranger", "language": "en",
              "consents_to_reminders": "y"}  # fmt: skip
    _same(queries, [
        ("known", _form_post(make_client, url, {**fields, "email": OWNER})),
        ("fresh", _form_post(make_client, url, {**fields, "email": "fresh@example.org"})),
        ("known again", _form_post(make_client, url, {**fields, "email": OWNER})),
    ])  # fmt: skip
    api = f"/api/v1/events/{event.id}/roles/{role.id}/helpers"
    answers = _same(
        queries,
        [(label, lambda e=email: client.post(api, json={"name": "X", "email": e}))
         for label, email in (("known", OWNER), ("fresh", "fresh-api@example.org"))],
    )  # fmt: skip
    assert answers["known"].status_code == 202
    assert db.session.scalar(sa.select(sa.func.count(Helper.id))) == 3
    assert _kinds(db).count("helper_already") == 1


def test_joining_the_rapid_roster_runs_the_same_statements_and_answers_the_same(
    db, make_client, queries
):
    org = OrganizationFactory()
    fields = {"name": "Ana", "use_email": "y", "locale": "es", "towns": "Springfield",
              "roles": ["responder"], "languages": ["es"], "training": "Know your rights",
              "availability": "always", "zone": "America/New_York"}  # fmt: skip
    url = f"/rapid/join/{make_token('rapid.join', {'org': org.id})}"
    assert make_client().submit(url, {**fields, "email": OWNER}, page=url).status_code == 200
    _same(queries, [
        ("known", _form_post(make_client, url, {**fields, "email": OWNER})),
        ("fresh", _form_post(make_client, url, {**fields, "email": "fresh@example.org"})),
    ])  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count(Responder.id))) == 2


def test_registering_runs_the_same_statements_whether_the_address_has_an_account(
    db, make_client, queries
):
    UserFactory(email=OWNER)
    fields = {"name": "Lucía", "password": "a long enough passphrase 7",
              "confirm": "a long enough passphrase 7", "language": "es"}  # fmt: skip
    answers = _same(queries, [
        ("known", _form_post(make_client, "/register", {**fields, "email": OWNER})),
        ("fresh", _form_post(make_client, "/register", {**fields, "email": "new@example.org"})),
    ])  # fmt: skip
    assert answers["known"].status_code == 302
    assert _kinds(db) == ["account_exists", "confirm_account"]
    assert _db.session.scalar(sa.text("SELECT count(*) FROM pending_registrations")) == 1
