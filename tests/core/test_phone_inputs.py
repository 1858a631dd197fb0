"""Every phone input is a phone input: `type=tel` brings up the phone keypad and
`autocomplete=tel` lets the browser fill the person's own number (issue #22)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from wtforms.fields.core import UnboundField

from coalition.core.forms import Form

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: Fields where someone types another person's number: the browser must not offer their own.
OTHER_PEOPLES_NUMBERS = {("WalkInForm", "phone")}


def _forms(cls=Form):
    for sub in cls.__subclasses__():
        yield sub
        yield from _forms(sub)


def _phone_fields():
    for form in set(_forms()):
        for name, unbound in inspect.getmembers(form, lambda v: isinstance(v, UnboundField)):
            if "phone" in name:
                yield form.__name__, name, unbound


def test_every_phone_field_asks_for_a_phone(app):
    found = list(_phone_fields())
    assert ("DelegationForm", "lead_phone") in {(f, n) for f, n, _ in found}
    wrong = []
    for form, name, unbound in found:
        attrs = unbound.kwargs.get("render_kw") or {}
        wanted = "off" if (form, name) in OTHER_PEOPLES_NUMBERS else "tel"
        if attrs.get("type") != "tel" or attrs.get("autocomplete") != wanted:
            wrong.append(f"{form}.{name}: {attrs}")
    assert wrong == []


def test_no_template_writes_a_phone_input_by_hand():
    inputs = re.compile(r"<input[^>]*name=\"[^\"]*phone[^\"]*\"[^>]*>", re.IGNORECASE)
    wrong = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in TEMPLATES.rglob("*.html")
        for tag in inputs.findall(path.read_text())
        if 'type="tel"' not in tag or 'autocomplete="tel"' not in tag
    ]
    assert wrong == []


def test_the_leads_phone_on_the_delegation_form_is_a_phone_input(client, db):
    from tests.factories import make_event

    event = make_event()
    occurrence = event.occurrences[0]
    page = client.get(f"/events/{event.id}/occurrences/{occurrence.id}/delegations/new")
    tag = re.search(r"<input[^>]*name=\"lead_phone\"[^>]*>", page.get_data(as_text=True)).group()
    assert 'type="tel"' in tag and 'autocomplete="tel"' in tag
