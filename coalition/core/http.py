"""HTTP hardening applied to every request and response.

- Bad bytes: a NUL byte or invalid UTF-8 in the path, the query string or a form/JSON body is
  answered 400 before any view runs (databases refuse NUL, and nothing legitimate sends it).
- Integer URL parts fit the database's `integer` column, or the URL answers 404.
- Security headers: a strict Content-Security-Policy (no inline script or style), no framing,
  nosniff, a Referrer-Policy, and HSTS when the site is served over HTTPS. A view meant to be
  embedded in other sites (a later `/embed/...` page) declares it with `@embeddable`.
- Responses that depend on who asks (a signed-in person, a session, a CSRF token) are
  `Cache-Control: private, no-store`. A response marked `same_for_everyone` (a public feed)
  neither varies on Cookie nor saves the session (`SessionInterface`).
- JSON bodies are read within bounds: MAX_CONTENT_LENGTH for the size (413), `MAX_JSON_DEPTH`
  for the nesting (`BoundedJSONProvider`): a body nested deeper is not JSON to the views (400),
  never a RecursionError (500).
- `TRUSTED_PROXIES=N` trusts N reverse proxies' X-Forwarded-* headers (Werkzeug's ProxyFix), so
  rate limits and logs see the client's address, not the proxy's.
- Host names: a request for a host outside `TRUSTED_HOSTS` (Flask's own check; behind a trusted
  proxy, the X-Forwarded-Host) is answered 400 before anything else runs, so a forged Host
  reaches no view and no cache. In production the list defaults to BASE_URL's host. Absolute
  links never come from the request anyway: `coalition.urls.external_url` builds them on BASE_URL.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, abort, current_app, jsonify, request, session
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: Deepest nesting of arrays and objects accepted in a JSON body (ours are two levels deep).
MAX_JSON_DEPTH = 32

#: PostgreSQL's `integer`: ids beyond it cannot exist.
MAX_DB_INTEGER = 2**31 - 1

#: Only what the app serves itself: no inline script or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PRIVATE_CACHE_CONTROL = "private, no-store"
HSTS = "max-age=31536000; includeSubDomains"


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to the database's integer range (beyond it: 404, not a 500)."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_DB_INTEGER, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def embeddable(frame_ancestors: str = "*"):
    """Let other sites frame this view (only pages made to be embedded, such as /embed/...).

    Such a view sets no cookie: a page inside another site has no session, CSRF token or
    language to remember (the session is never saved, whatever the page read or wrote)."""

    def decorate(view):
        view.frame_ancestors = frame_ancestors
        view.cookieless = True
        return view

    return decorate


def accepts_upload(config_key: str):
    """Let this view receive a body up to `app.config[config_key]` bytes (a file upload) instead
    of MAX_CONTENT_LENGTH."""

    def decorate(view):
        view.max_content_length_key = config_key
        return view

    return decorate


def _allow_upload() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    key = getattr(view, "max_content_length_key", None)
    if key is not None:
        request.max_content_length = current_app.config[key]


def _bad_text(raw: bytes) -> bool:
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def refuse_bad_bytes() -> None:
    """400 for NUL bytes or invalid UTF-8 anywhere in what the client sent."""
    _allow_upload()
    environ = request.environ
    # The raw request line when the server gives it (gunicorn, Werkzeug), else PATH_INFO.
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri is not None:
        path = unquote_to_bytes(raw_uri.partition("?")[0].encode("latin-1", "replace"))
    else:
        path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    if _bad_text(path) or _bad_text(unquote_to_bytes(environ.get("QUERY_STRING", ""))):
        abort(400)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        body = request.get_data(cache=True)  # the form is parsed from this cached copy
        if _bad_text(unquote_to_bytes(body.replace(b"+", b" "))):
            abort(400)
    elif mimetype == "multipart/form-data":
        values = [*request.form.values(), *(f.filename or "" for f in request.files.values())]
        if any("\x00" in value for value in values):
            abort(400)
    elif request.is_json:
        body = request.get_data(cache=True)
        if _bad_text(body) or b"\\u0000" in body.lower():
            abort(400)


def refuse_unknown_host():
    """400 for a host outside TRUSTED_HOSTS. Flask finds it while binding the URL map and leaves
    the request without one, so the answer is built here, before any other hook, without a
    template (nothing can be linked to on a host we do not serve)."""
    if not isinstance(request.routing_exception, SecurityError):
        return None
    message = _("This site does not answer to that host name.")
    if request.path.startswith("/api/"):
        response = jsonify(error={"status": 400, "message": message})
    else:
        response = current_app.response_class(message + "\n", mimetype="text/plain")
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def trusted_hosts(config) -> list[str] | None:
    """TRUSTED_HOSTS as configured; in production, BASE_URL's host when none is set."""
    hosts = config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [name.strip() for name in hosts.split(",") if name.strip()]
    if not hosts and config.get("ENV_NAME") == "production":
        hostname = urlsplit(config.get("BASE_URL") or "").hostname
        hosts = [hostname] if hostname else None
    return hosts or None


def is_cookieless() -> bool:
    """Is this request served by a view that must set no cookie (`@embeddable`)?"""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "cookieless", False)


def no_cookie_when_embedded(response):
    if is_cookieless():
        session.modified = False  # Flask saves the session after this hook: nothing to save
    return response


def _frame_ancestors() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "frame_ancestors", "'none'")


def security_headers(response):
    policy = dict(CONTENT_SECURITY_POLICY, **{"frame-ancestors": _frame_ancestors()})
    response.headers["Content-Security-Policy"] = "; ".join(f"{k} {v}" for k, v in policy.items())
    if policy["frame-ancestors"] == "'none'":
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("PREFERRED_URL_SCHEME") == "https":
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def private_when_personal(response):
    """No shared or stored copy of a page that depends on who asks.

    That is: anything answered to a signed-in person, and anything that read the session (a page
    with a CSRF token, a flashed message) unless the view chose its own caching for public data.
    """
    session_read = session.accessed
    signed_in = current_user.is_authenticated
    if signed_in or (session_read and "Cache-Control" not in response.headers):
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        response.headers.pop("Expires", None)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except for a response marked `same_for_everyone = True`:
    bytes that do not depend on who asks (a public feed). Flask adds `Vary: Cookie` to every
    response whose session was touched, and in Flask 3.1 merely looking at `session` touches it,
    so a shared cache would keep one copy per visitor; such a response keeps its own Vary and
    sets no cookie."""

    def save_session(self, app, session, response) -> None:
        if getattr(response, "same_for_everyone", False):
            return
        super().save_session(app, session, response)


def check_rate_limit_storage(app: Flask) -> None:
    """Production refuses per-process rate-limit counters when several workers serve the app."""
    config = app.config
    if config.get("ENV_NAME") != "production" or not config.get("RATELIMIT_ENABLED", True):
        return
    workers = int(config.get("WEB_CONCURRENCY") or 1)
    if workers > 1 and config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        raise RuntimeError(
            f"WEB_CONCURRENCY={workers} but RATELIMIT_STORAGE_URI is memory://: each worker "
            "would count alone and rate limits would not hold. Set RATELIMIT_STORAGE_URI to a "
            "shared store, e.g. redis://127.0.0.1:6379/0."
        )


def _too_deep(value, limit: int) -> bool:
    """Is `value` nested deeper than `limit`? Without recursion: the value may be hostile."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with reading bounded: nesting deeper than MAX_JSON_DEPTH (or deep enough
    to exhaust Python's recursion limit) is a ValueError, which `request.get_json` turns into
    a 400 (or None with `silent=True`, which the API answers with its own 400)."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc
        if _too_deep(value, MAX_JSON_DEPTH):
            raise ValueError("JSON nested too deep")
        return value


def init_app(app: Flask) -> None:
    """Call before blueprints are registered (the converter applies to rules added after)."""
    app.json = BoundedJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    check_rate_limit_storage(app)
    app.session_interface = SessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_bytes)
    app.before_request_funcs[None].insert(0, refuse_unknown_host)
    app.after_request(private_when_personal)
    app.after_request(no_cookie_when_embedded)
    app.after_request(security_headers)
