"""Who manages subscribed calendars: an organization's organizers (and coalition admins) for its
own; admins alone for partner coalitions. The access rules below are the one place."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from coalition.extensions import db
from coalition.orgs.permissions import load_org
from coalition.sources.models import ImportedEvent, Source


def load_source(slug: str, source_id: int) -> Source:
    """The organization's source; a neighbour's id answers 404."""
    cached = g.get("source")
    if cached is not None and cached.id == source_id:
        return cached
    org = load_org(slug)
    source = db.session.get(Source, source_id)
    if source is None or source.org_id != org.id:
        abort(404)
    g.source = source
    return source


def load_imported(slug: str, imported_id: int) -> ImportedEvent:
    org = load_org(slug)
    imported = db.session.get(ImportedEvent, imported_id)
    if imported is None or imported.source.org_id != org.id:
        abort(404)
    return imported


def can_manage_sources(slug: str, **_kwargs) -> bool:
    return load_org(slug).can_organize(current_user)


def can_manage_source(slug: str, source_id: int, **_kwargs) -> bool:
    if not can_manage_sources(slug):
        return False
    source = load_source(slug, source_id)
    # A partner coalition's feed is the admins' to change.
    return not source.is_partner or bool(getattr(current_user, "is_admin", False))


def can_review(slug: str, imported_id: int, **_kwargs) -> bool:
    if not can_manage_sources(slug):
        return False
    load_imported(slug, imported_id)
    return True
