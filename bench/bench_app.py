"""The WSGI app the benchmarks serve with gunicorn: production settings, rate limits off.

    gunicorn --pythonpath bench bench_app:app     (BENCH_APP_DATABASE_URL names the database)

Set by bench/load.py: BENCH_APP_DATABASE_URL, and optionally BENCH_APP_REDIS_URL (the render
cache and rate limits then live in Redis, shared by the workers) and BENCH_APP_RENDER_CACHE=0.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coalition import create_app  # noqa: E402


def bench_config(database_url: str, *, redis_url: str | None = None, render_cache: bool = True):
    """Production settings, as `gunicorn wsgi:app` would run, minus rate limits."""
    config = {
        "CONFIG_NAME": "production",
        "SECRET_KEY": "benchmark-only-not-secret",
        "CONTACT_KEYS": "YmVuY2gtb25seS1ub3QtYS1zZWNyZXQtY29udGFjdHM=",
        "CONTACT_HASH_KEY": "bench-only-not-a-secret-contact-hash-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "RENDER_CACHE": render_cache,
    }
    if redis_url:
        config["REDIS_URL"] = redis_url
        config["RATELIMIT_STORAGE_URI"] = redis_url
    return config


def _app():
    return create_app(
        bench_config(
            os.environ["BENCH_APP_DATABASE_URL"],
            redis_url=os.environ.get("BENCH_APP_REDIS_URL") or None,
            render_cache=os.environ.get("BENCH_APP_RENDER_CACHE", "1") == "1",
        )
    )


app = _app() if "BENCH_APP_DATABASE_URL" in os.environ else None
