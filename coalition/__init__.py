"""Coalition: events and actions for a coalition of member organizations."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from config import CONFIGS, INSTANCE_DIR

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | dict | None = None) -> Flask:
    """Build the app. `config` is a config name, a class, or a dict of overrides for tests."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE_DIR),
        instance_relative_config=False,
    )
    _load_config(app, config)
    register_extensions(app)
    register_http_hardening(app)
    register_metrics(app)
    register_blueprints(app)
    register_commands(app)
    register_template_helpers(app)
    register_signal_receivers(app)
    register_short_links(app)
    register_user_flags(app)
    register_notices(app)
    return app


def _load_config(app: Flask, config) -> None:
    overrides: dict = {}
    if isinstance(config, dict):
        overrides = config
        config = overrides.pop("CONFIG_NAME", None)
    if config is None:
        config = os.environ.get("COALITION_ENV", "production")
    if isinstance(config, str):
        config = CONFIGS[config]
    app.config.from_object(config)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment (or COALITION_ENV=development)."
        )
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from coalition import access, breaker, crypto, i18n, models  # noqa: F401  (models: tables)
    from coalition.auth.loader import init_login
    from coalition.core import render_cache
    from coalition.db import commit_looks_without_flush_wait, end_reads_with_commit
    from coalition.extensions import babel, csrf, db, limiter, mail, migrate

    crypto.init_app(app)  # refuses to start without valid CONTACT_KEYS and CONTACT_HASH_KEY
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    breaker.configure_limiter(app.config)  # short timeouts, in-memory fallback
    # One Limiter serves every app this process makes (tests make many); Flask-Limiter keeps
    # the first key prefix it saw, so each app's own RATELIMIT_KEY_PREFIX is set here.
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX") or ""
    limiter.init_app(app)
    i18n.use_compiled_catalogs(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    init_login(app)
    render_cache.init_app(app)  # a replay answers before the access rule (see its docstring)
    access.init_app(app)
    _enable_sqlite_foreign_keys(app)
    with app.app_context():
        end_reads_with_commit(app, db)
        commit_looks_without_flush_wait(db.engine)


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event

    from coalition.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    on_disk = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")

    def _fk_pragma(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if on_disk:
            # WAL: the web app reads while the worker writes, and a commit with
            # synchronous=NORMAL (the outbox's marks) need not wait for the disk.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", _fk_pragma)


def register_signal_receivers(app: Flask) -> None:
    """Reminders, notices and the waitlist follow RSVPs and events: each feature connects its
    own receivers (`<feature>/receivers.py`), here, in this order (a signal's receivers run in
    the order they were connected); blinker connects each one once however many apps are made.
    coalition/signals.py itself imports no feature."""
    from coalition.auth import receivers as auth_receivers
    from coalition.delegations import receivers as delegation_receivers
    from coalition.rapid import receivers as rapid_receivers
    from coalition.reach import receivers as reach_receivers
    from coalition.reminders import receivers as reminder_receivers
    from coalition.reports import receivers as report_receivers
    from coalition.rsvps import receivers as rsvp_receivers
    from coalition.sessions import receivers as session_receivers
    from coalition.sources import receivers as source_receivers
    from coalition.volunteers import receivers as volunteer_receivers

    for receivers in (
        rsvp_receivers,
        delegation_receivers,
        reminder_receivers,
        session_receivers,
        volunteer_receivers,
        reach_receivers,
        report_receivers,  # a date's counts frozen before its purge
        source_receivers,  # partner coalitions' events take no RSVP here
        # What the channels and the ground floor (core, access) announce and ask.
        auth_receivers,
        rapid_receivers,
    ):
        receivers.connect()


def register_user_flags(app: Flask) -> None:
    """What every page asks of the signed-in person, read with their account (auth.loader)."""
    from coalition.auth.loader import add_user_flag
    from coalition.rapid.permissions import dispatches_clause

    add_user_flag("dispatches", dispatches_clause)


def register_short_links(app: Flask) -> None:
    """The private pages a short link (coalition/shortlinks) can stand for, by its column."""
    from coalition.delegations.models import Delegation
    from coalition.delegations.operations import lead_url
    from coalition.rapid.models import Answer
    from coalition.rapid.operations import answer_url
    from coalition.rsvps.models import RSVP
    from coalition.rsvps.operations import manage_url as rsvp_url
    from coalition.shortlinks.operations import register_target
    from coalition.volunteers.models import Helper
    from coalition.volunteers.operations import manage_url as helper_url

    register_target("rsvp_id", RSVP, rsvp_url)
    register_target("delegation_id", Delegation, lead_url)
    register_target("helper_id", Helper, helper_url)
    register_target("answer_id", Answer, answer_url, secret="secret")


#: The features that send messages: each declares its notices in `<feature>/notice_kinds.py`.
NOTICE_FEATURES = (
    "auth", "orgs", "events", "rsvps", "reminders", "delegations", "sessions", "volunteers",
    "rapid", "dashboard", "sms", "mail",
)  # fmt: skip


def register_notices(app: Flask) -> None:
    """Everything the service sends, in one registry (coalition/notices); a notice whose
    template is missing stops the app here, not when the first person should get it."""
    from importlib import import_module

    from coalition import notices

    declared = [
        notice
        for feature in NOTICE_FEATURES
        for notice in import_module(f"coalition.{feature}.notice_kinds").NOTICES
    ]
    notices.init_app(app, declared)


def register_http_hardening(app: Flask) -> None:
    """Converters, bad-byte refusal, security and cache headers, ProxyFix (core/http.py)."""
    from coalition.core import http

    http.init_app(app)


def register_metrics(app: Flask) -> None:
    """Request timing and `GET /metrics` (404 unless METRICS_TOKEN or METRICS_ALLOW is set)."""
    from coalition import metrics

    metrics.init_app(app)


def register_blueprints(app: Flask) -> None:
    from coalition.admin.views import bp as admin_bp
    from coalition.api.views import bp as api_bp
    from coalition.auth.two_factor_views import bp as two_factor_bp
    from coalition.auth.views import bp as auth_bp
    from coalition.core.errors import register_error_handlers
    from coalition.core.views import bp as core_bp
    from coalition.dashboard.views import bp as dashboard_bp
    from coalition.delegations.views import bp as delegations_bp
    from coalition.events.admin_views import bp as events_admin_bp
    from coalition.events.manage_views import bp as events_manage_bp
    from coalition.events.public_views import bp as events_bp
    from coalition.extensions import csrf
    from coalition.feeds.views import bp as feeds_bp
    from coalition.health.views import bp as health_bp
    from coalition.orgs.views import bp as orgs_bp
    from coalition.rapid.views import bp as rapid_bp
    from coalition.reach.views import bp as reach_bp
    from coalition.reports.api import bp as reports_api_bp
    from coalition.reports.views import bp as reports_bp
    from coalition.rsvps.views import bp as rsvps_bp
    from coalition.sessions.views import bp as sessions_bp
    from coalition.shortlinks.views import bp as shortlinks_bp
    from coalition.sms.views import bp as sms_bp
    from coalition.sources.views import bp as sources_bp
    from coalition.volunteers.api import bp as volunteers_api_bp
    from coalition.volunteers.views import bp as volunteers_bp

    csrf.exempt(api_bp)  # JSON API: no cookies are trusted there
    csrf.exempt(sms_bp)  # provider webhooks, signed by the provider
    csrf.exempt(volunteers_api_bp)  # JSON API, like api_bp
    for blueprint in (
        core_bp,
        health_bp,
        auth_bp,
        two_factor_bp,
        orgs_bp,
        admin_bp,
        events_bp,
        events_manage_bp,
        events_admin_bp,
        api_bp,
        feeds_bp,
        rsvps_bp,
        sessions_bp,
        delegations_bp,
        dashboard_bp,
        sms_bp,
        shortlinks_bp,
        reach_bp,
        volunteers_bp,
        volunteers_api_bp,
        rapid_bp,
        reports_bp,
        reports_api_bp,
        sources_bp,
    ):
        app.register_blueprint(blueprint)
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from coalition.commands import register

    register(app)


#: The features that give templates filters and globals, each in `<feature>/templating.py`.
TEMPLATE_FEATURES = ("orgs", "events", "rsvps", "delegations")


def register_template_helpers(app: Flask) -> None:
    from importlib import import_module

    from coalition.core.templating import init_templating

    init_templating(app)
    for feature in TEMPLATE_FEATURES:
        import_module(f"coalition.{feature}.templating").init_templating(app)
