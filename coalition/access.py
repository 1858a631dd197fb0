"""Who may reach which view: one choke point for the whole app.

Every view declares its rule with `@access(rule)`. A `before_request` hook evaluates the rule
before the view runs; a view without a rule is refused (fail closed), so a new route cannot
forget its permission check. Rules receive the URL's view arguments and return True or False;
they may also abort with 404 for an object that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from coalition import signals

Rule = Callable[..., bool]

#: Endpoints served by Flask or extensions themselves.
_EXEMPT_ENDPOINTS = {"static"}
#: What someone who must set up two-factor sign-in may still reach.
_TWO_FACTOR_SETUP_ENDPOINTS = {
    "two_factor.setup",
    "auth.logout",
    "core.set_language",
    "health.healthz",
    "orgs.org_colors",
}


def access(rule: Rule):
    def decorate(view):
        view.access_rule = rule
        return view

    return decorate


def public(**_kwargs) -> bool:
    return True


def signed_in(**_kwargs) -> bool:
    return current_user.is_authenticated


def admin(**_kwargs) -> bool:
    return current_user.is_authenticated and current_user.is_admin


def anonymous_only(**_kwargs) -> bool:
    """Pages such as "sign in" for people who are not signed in (others are sent home)."""
    return True


def enforce_access() -> None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in _EXEMPT_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    rule = getattr(view, "access_rule", None)
    if rule is None:
        current_app.logger.error("view %s declares no access rule; refused", endpoint)
        abort(403)
    if endpoint not in _TWO_FACTOR_SETUP_ENDPOINTS and _must_set_up_two_factor():
        return redirect(url_for("two_factor.setup", next=request.full_path.rstrip("?")))
    if rule(**(request.view_args or {})):
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)  # a program is told, not sent to a sign-in page
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


def _must_set_up_two_factor() -> bool:
    """Accounts that can see attendee data reach nothing before their second factor is set up
    (when REQUIRE_TWO_FACTOR)."""
    if not current_app.config.get("REQUIRE_TWO_FACTOR") or not current_user.is_authenticated:
        return False
    return any(signals.answers(signals.two_factor_pending, current_user._get_current_object()))


def init_app(app: Flask) -> None:
    app.before_request(enforce_access)
