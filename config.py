"""Configuration, read from the environment (12-factor).

`create_app()` picks a class by `COALITION_ENV` (development, testing, production; default
production, which refuses to start without a SECRET_KEY). Every setting can be overridden by an
environment variable of the same name.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if not value:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Production defaults. Secrets come only from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'coalition.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    COALITION_NAME = os.environ.get("COALITION_NAME", "Resist the Raids Network")
    COALITION_TIMEZONE = os.environ.get("COALITION_TIMEZONE", "America/New_York")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Mail. MAIL_BACKEND is "smtp" (Flask-Mail settings below) or "folder" (one .eml per message
    # written to MAIL_FOLDER, for development).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE_DIR / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "coalition@localhost")
    #: Seconds allowed for any single SMTP call.
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 20)

    #: Region of phone numbers written without a country code (stored E.164).
    COALITION_PHONE_REGION = os.environ.get("COALITION_PHONE_REGION", "US")

    # Text messages. SMS_BACKEND is "twilio", "folder" (one .txt per text written to SMS_FOLDER,
    # for development and tests) or "none" (phone numbers are not asked for: nothing could
    # reach them).
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "none")
    SMS_FOLDER = os.environ.get("SMS_FOLDER", str(INSTANCE_DIR / "sms"))
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    #: The sending number (E.164), or TWILIO_MESSAGING_SERVICE_SID instead.
    TWILIO_FROM = os.environ.get("TWILIO_FROM")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID")
    #: Where the Twilio client sends its requests (tests point it at a server on loopback).
    TWILIO_BASE_URL = os.environ.get("TWILIO_BASE_URL", "https://api.twilio.com")
    #: Seconds allowed for one provider request.
    SMS_TIMEOUT = _env_int("SMS_TIMEOUT", 20)
    #: Seconds after the start of a text's request before a worker that finds it orphaned
    #: (its worker died mid-request) asks the provider whether it was accepted: the provider
    #: creates the message before it answers, which takes well under a second.
    SMS_LOOKUP_DELAY = _env_int("SMS_LOOKUP_DELAY", 5)
    #: How often one number gets an automatic answer (HELP, STOP, START, an alert's reply): each
    #: costs a text. What the number asked is recorded all the same.
    SMS_AUTO_REPLY_LIMIT = os.environ.get("SMS_AUTO_REPLY_LIMIT", "3 per hour;6 per day")

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    #: Prefix of the rate-limit counters' keys, for instances (or test runs) sharing one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    #: Web worker processes (gunicorn reads the same variable). Above 1, production refuses
    #: `memory://` rate-limit storage: each worker would count alone.
    WEB_CONCURRENCY = _env_int("WEB_CONCURRENCY", 1)
    #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (ProxyFix).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    #: Host names the site answers to (Flask's TRUSTED_HOSTS; with TRUSTED_PROXIES, the
    #: X-Forwarded-Host): any other is refused with 400 before a view or cache runs. Comma-
    #: separated; ".example.org" takes every subdomain. Unset in production: BASE_URL's host.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    #: "https" turns on HSTS and https links.
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    #: Largest request body accepted (forms and JSON are small).
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 1024 * 1024)

    # Event pictures (coalition/reach): re-encoded files in UPLOAD_FOLDER (UPLOAD_STORAGE=local)
    # or an S3-compatible bucket (UPLOAD_STORAGE=s3: UPLOAD_S3_BUCKET, UPLOAD_S3_ENDPOINT for
    # non-AWS stores, UPLOAD_S3_PREFIX, UPLOAD_PUBLIC_URL to serve from the bucket; credentials
    # from boto3's usual environment variables).
    UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE", "local")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    UPLOAD_S3_BUCKET = os.environ.get("UPLOAD_S3_BUCKET")
    UPLOAD_S3_ENDPOINT = os.environ.get("UPLOAD_S3_ENDPOINT")
    UPLOAD_S3_PREFIX = os.environ.get("UPLOAD_S3_PREFIX", "")
    UPLOAD_PUBLIC_URL = os.environ.get("UPLOAD_PUBLIC_URL")
    #: Largest picture upload accepted, bytes (the one request allowed beyond MAX_CONTENT_LENGTH).
    IMAGE_MAX_BYTES = _env_int("IMAGE_MAX_BYTES", 8 * 1024 * 1024)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: "Keep me signed in" lasts at most this long; any password change ends it sooner.
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30))
    #: Sign-in attempts that fail, per account, whatever the address they come from.
    LOGIN_ACCOUNT_LIMIT = os.environ.get("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes;30 per day")
    #: Two-factor codes tried, per account.
    TWO_FACTOR_LIMIT = os.environ.get("TWO_FACTOR_LIMIT", "5 per 5 minutes;20 per day")
    #: Accounts that can see attendee data (admins, organizers, owners) must use a second
    #: factor (TOTP) before they reach any page but its setup.
    REQUIRE_TWO_FACTOR = _env_bool("REQUIRE_TWO_FACTOR", True)
    #: Seconds allowed between the password and the second step.
    TWO_FACTOR_PENDING_SECONDS = 300

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    #: Languages the interface and emails are translated into (complete catalogs only), each
    #: named in its own language as the switcher shows it.
    LANGUAGES = {"en": "English", "es": "Español", "ht": "Kreyòl ayisyen", "pt": "Português"}

    #: Lifetimes of emailed links, in seconds.
    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 2 * 3600)
    INVITATION_MAX_AGE = _env_int("INVITATION_MAX_AGE", 7 * 24 * 3600)
    REGISTRATION_MAX_AGE = _env_int("REGISTRATION_MAX_AGE", 24 * 3600)

    #: Seconds a process may reuse the calendar version it read (coalition/calendar_version.py).
    CALENDAR_VERSION_TTL = float(os.environ.get("CALENDAR_VERSION_TTL", "1"))

    # Redis (coalition/breaker.py) is an accelerator: when a call fails or takes longer than
    # REDIS_TIMEOUT seconds, the process skips Redis for REDIS_RETRY_SECONDS and serves pages,
    # feeds and rate limits from the database and its own memory.
    REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.25"))
    REDIS_RETRY_SECONDS = float(os.environ.get("REDIS_RETRY_SECONDS", "5"))
    #: /healthz says "degraded" when a message has waited longer than this to be sent (seconds
    #: past its due time): the worker is down or a channel is paused.
    HEALTH_OUTBOX_LATE_SECONDS = _env_int("HEALTH_OUTBOX_LATE_SECONDS", 600)

    # Feeds (coalition/feeds/cache.py): a shared cache in Redis when CACHE_REDIS_URL (or a redis://
    # RATELIMIT_STORAGE_URI) is set, else each process's memory.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL")
    FEED_CACHE_PREFIX = os.environ.get("FEED_CACHE_PREFIX", "coalition:feeds:")
    #: Size of each process's own copy of feed bytes, MB.
    FEED_CACHE_MEMORY_MB = _env_int("FEED_CACHE_MEMORY_MB", 256)
    #: Builds that need more uncached events than this run off the request path.
    FEED_INLINE_BUILD_MAX = _env_int("FEED_INLINE_BUILD_MAX", 1000)
    #: ... and so do feeds of more events than this, even when all are cached: concatenating
    #: 100,000 cached events takes seconds, which a request must not hold a worker for.
    FEED_INLINE_EVENTS_MAX = _env_int("FEED_INLINE_EVENTS_MAX", 5000)
    #: Seconds a request waits for such a build when there is no earlier copy (then 503).
    FEED_BUILD_WAIT = float(os.environ.get("FEED_BUILD_WAIT", "0"))
    #: Full answers (200) per feed and client address; a 304 counts nothing
    #: (coalition/feeds/limits.py).
    FEED_RATE_LIMIT = os.environ.get("FEED_RATE_LIMIT", "60 per minute")
    #: Builds of ad-hoc feeds (free text, towns, dates: `q`, `city`, `from`, `to`) per client
    #: address; such feeds are kept only in each process's own bounded copy, never in Redis.
    FEED_ADHOC_RATE_LIMIT = os.environ.get("FEED_ADHOC_RATE_LIMIT", "20 per minute")
    FEED_ADHOC_MEMORY_MB = _env_int("FEED_ADHOC_MEMORY_MB", 16)
    FEED_ADHOC_ENTRIES = _env_int("FEED_ADHOC_ENTRIES", 200)
    # Subscribed calendars (coalition/sources): what one poll may cost.
    SOURCES_MAX_BYTES = _env_int("SOURCES_MAX_BYTES", 5_000_000)
    #: Seconds for the whole exchange (connect, redirects, body).
    SOURCES_TIMEOUT = _env_int("SOURCES_TIMEOUT", 20)
    SOURCES_MAX_REDIRECTS = _env_int("SOURCES_MAX_REDIRECTS", 5)
    #: VEVENTs one feed may bring; the rest is left out (and said so on the source's page).
    SOURCES_MAX_EVENTS = _env_int("SOURCES_MAX_EVENTS", 2000)
    #: Sources one worker run polls at most.
    SOURCES_PER_RUN = _env_int("SOURCES_PER_RUN", 20)
    #: Tests only: "address:port" of the tests' own feed server, allowed as a first URL (never
    #: as a redirect's target). Always empty outside tests.
    SOURCES_TEST_FEED_ADDRESSES: tuple[str, ...] = ()
    #: Tests only: a file of CA certificates trusted for https feeds instead of the system's
    #: (the tests' own certificate authority, for a local TLS server). Always None outside tests.
    SOURCES_TEST_CA_FILE: str | None = None

    # Rendered public pages for anonymous visitors (coalition/core/render_cache.py), kept under
    # the calendar version; in Redis as the feeds are, else in each process's memory.
    RENDER_CACHE = _env_bool("RENDER_CACHE", True)
    #: A stored page is replayed for at most this many seconds ("upcoming" follows the clock).
    RENDER_CACHE_SECONDS = _env_int("RENDER_CACHE_SECONDS", 30)
    RENDER_CACHE_PREFIX = os.environ.get("RENDER_CACHE_PREFIX", "coalition:pages:")
    RENDER_CACHE_MEMORY_MB = _env_int("RENDER_CACHE_MEMORY_MB", 64)
    #: Pieces of pages that do not depend on who asks (coalition/core/fragments.py), kept in the
    #: render cache's store for signed-in people and first visitors after a change; their keys
    #: name immutable content, so the time only bounds how long an unused piece is kept.
    FRAGMENT_CACHE = _env_bool("FRAGMENT_CACHE", True)
    FRAGMENT_CACHE_SECONDS = _env_int("FRAGMENT_CACHE_SECONDS", 86400)

    #: Seconds between two runs of the worker's mail delivery job.
    #: Seconds between the worker's delivery runs: an empty queue costs one indexed read per
    #: channel, and a rapid-response alert waits at most this long for the worker.
    MAIL_DELIVERY_INTERVAL = _env_int("MAIL_DELIVERY_INTERVAL", 2)
    #: Seconds a worker holds the batch of outbox rows it claimed. On PostgreSQL a worker that
    #: dies loses its rows at once (an advisory lock, `coalition.mail.delivery`); elsewhere they
    #: wait this long before another run takes them.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 120)

    # Metrics (coalition/metrics/): GET /metrics answers 404 unless one of these is set.
    #: Bearer token the scraper sends (`Authorization: Bearer ...`); 24 characters at least.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")
    #: Addresses or networks (comma-separated, e.g. "10.0.0.5,192.168.1.0/24") allowed to scrape.
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "")
    #: What one text segment costs (e.g. 0.0083), for `coalition_sms_spend_total`; unset: none.
    SMS_SEGMENT_PRICE = float(os.environ.get("SMS_SEGMENT_PRICE") or 0)

    # Reports (coalition/reports/; README: "What reports keep and what they do not").
    #: A figure below this shows as "fewer than N" (and a complementary cell is hidden with it).
    REPORT_MIN_CELL = max(2, _env_int("REPORT_MIN_CELL", 5))
    #: Towns a report may name (comma-separated), besides the cities of published events; a
    #: delegation's town that is neither is counted as "other".
    REPORT_TOWNS = _env_list("REPORT_TOWNS") or []

    #: Attendees' and leads' emails and phones are encrypted at rest (coalition/crypto.py).
    #: Comma-separated Fernet keys: the first encrypts, all decrypt (rotation). Required.
    CONTACT_KEYS = os.environ.get("CONTACT_KEYS")
    #: Secret for the keyed hashes (HMAC-SHA256) that find a contact without decrypting it.
    CONTACT_HASH_KEY = os.environ.get("CONTACT_HASH_KEY")
    #: Keys that `rotate-keys` replaced, kept only to read backups made under them: read by the
    #: `flask backup` commands alone, never by the web app or the worker (README: Backups and keys).
    CONTACT_RETIRED_KEYS = os.environ.get("CONTACT_RETIRED_KEYS")


# Fixed, public keys for development and tests only: anything encrypted with them is readable by
# anyone who has this file.
_NOT_SECRET_CONTACT_KEY = "bm90LWEtc2VjcmV0LWNvbnRhY3Qta2V5LWRldi10ZXM="
_NOT_SECRET_HASH_KEY = "not-a-secret-contact-hash-key-for-development-and-tests"


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    CONTACT_KEYS = os.environ.get("CONTACT_KEYS", _NOT_SECRET_CONTACT_KEY)
    CONTACT_HASH_KEY = os.environ.get("CONTACT_HASH_KEY", _NOT_SECRET_HASH_KEY)
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "folder")
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "folder")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # As in production: the demo shows the setup at the first sign-in (0 to skip it).
    REQUIRE_TWO_FACTOR = _env_bool("REQUIRE_TWO_FACTOR", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-not-secret"
    CONTACT_KEYS = _NOT_SECRET_CONTACT_KEY
    CONTACT_HASH_KEY = _NOT_SECRET_HASH_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS = {}
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    SMS_BACKEND = "folder"
    SMS_FOLDER = str(Path(tempfile.gettempdir()) / "coalition-test-sms")
    UPLOAD_FOLDER = str(Path(tempfile.gettempdir()) / "coalition-test-uploads")
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    BASE_URL = "http://localhost"
    SERVER_NAME = "localhost"
    ARGON2_PROFILE = "CHEAPEST"
    REQUIRE_TWO_FACTOR = False
    PREFERRED_URL_SCHEME = "http"
    TRUSTED_PROXIES = 0
    CALENDAR_VERSION_TTL = 0.0
    #: Tests see every render (tests/core/test_render_cache.py turns the cache on).
    RENDER_CACHE = False


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": Config,
}
