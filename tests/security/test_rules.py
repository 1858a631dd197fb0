"""Rules that keep the hardening in place as the code grows."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from flask_wtf import FlaskForm

import coalition
from coalition.core.forms import Form

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_form_gets_the_input_rules():
    """A form that skipped `Form` would accept CR/LF in one-line fields and dates in year 9999."""
    for module in pkgutil.walk_packages(coalition.__path__, "coalition."):
        importlib.import_module(module.name)
    forms = [c for c in _all_subclasses(FlaskForm) if c.__module__.startswith("coalition.")]
    assert len(forms) > 20
    strays = [f"{c.__module__}.{c.__name__}" for c in forms if not issubclass(c, Form)]
    assert strays == []


def test_no_template_has_inline_script_or_style():
    """The Content-Security-Policy refuses them: they would silently stop working."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "email":  # mail clients, not browsers
            continue
        text = path.read_text()
        if (
            re.search(r"\sstyle=", text)
            or "<style" in text
            or re.search(r"<script(?![^>]*\bsrc=)", text)
            or re.search(r"\son[a-z]+=", text)
            or "javascript:" in text
        ):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_an_anonymous_page_with_a_form_is_not_stored_by_caches(client):
    """Its CSRF token belongs to one visitor's session."""
    assert client.get("/login").headers["Cache-Control"] == "private, no-store"
    assert "public" in client.get("/calendar.ics").headers["Cache-Control"]
