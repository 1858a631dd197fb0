"""Property-based fuzzing of every public form (hypothesis): whatever is typed, no 5xx.

Each form's fields are read from its page; hypothesis fills them with any text, control
characters, huge numbers, absurd dates and long strings, posted with a valid CSRF token.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.delegations import operations as delegation_ops
from tests.factories import make_event

#: Examples per form (each is one POST).
EXAMPLES = 30
_NAMES = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')

TRICKY = st.sampled_from(
    [
        "",
        " ",
        "9999-12-31T23:59",
        "0000-00-00",
        "1900-01-01",
        "2147483648",
        "-1",
        "99999999999999999999",
        "Ana\r\nBcc: all@example.org",
        "a@example.org",
        "+1 617 555 0100",
        "x" * 5000,
        "<script>alert(1)</script>",
        "y",
        "es",
        "bus",
    ]
)
VALUE = st.one_of(TRICKY, st.text(max_size=40), st.integers().map(str))


def _fields(body: str) -> list[str]:
    return sorted({name for name in _NAMES.findall(body) if name != "csrf_token"})


def _public_forms(db) -> list[str]:
    event = make_event(title="May Day march", capacity=20)
    occurrence = event.occurrences[0]
    base = f"/events/{event.id}/occurrences/{occurrence.id}"
    delegation = delegation_ops.start(
        occurrence,
        delegation_ops.DelegationInput(
            name="Worcester bus", town="Worcester", lead_name="Rosa",
            lead_email="rosa@example.org", lead_language="es", expected_headcount=10,
        ),
    )  # fmt: skip
    db.session.commit()
    return [
        "/login",
        "/register",
        "/password/forgot",
        f"{base}/rsvp",
        f"{base}/delegations/new",
        f"/delegations/{delegation.id}/join/{delegation.join_secret}",
    ]


def _fuzz(client, url: str, token: str, fields: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.fixed_dictionaries(dict.fromkeys(fields, VALUE)))
    def never_5xx(data):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code < 500, (url, data)

    never_5xx()


def test_no_public_form_answers_5xx(client, db):
    for url in _public_forms(db):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        fields = _fields(body)
        assert fields, url
        _fuzz(client, url, token, fields)
        # The database is still usable after whatever was refused.
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
