"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL, built the same in a request, the worker or the CLI.

    Emailed links must not depend on the Host header of whatever request queued them.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
