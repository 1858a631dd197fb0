"""Metrics for operators (`GET /metrics`, Prometheus format), off unless configured.

- `events.py`: counters and histograms of what happens in a web process (requests by endpoint,
  feed builds, cache lookups); under gunicorn, added up over the workers through
  `PROMETHEUS_MULTIPROC_DIR`.
- `stored.py`: what the database holds (outbox, channels, alerts), read at scrape time.
- `views.py`: the endpoint and who may read it (`METRICS_TOKEN`, `METRICS_ALLOW`).
"""

from __future__ import annotations

import ipaddress
import os

from flask import Flask

#: Shortest METRICS_TOKEN accepted (`secrets.token_urlsafe(32)` gives 43 characters).
MIN_TOKEN_LENGTH = 24


def init_app(app: Flask) -> None:
    """Check the settings (refuse to start on a wrong one), time requests, add /metrics."""
    from coalition import counters as events
    from coalition.metrics import views

    config = app.config
    token = config.get("METRICS_TOKEN")
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise RuntimeError(
            f"METRICS_TOKEN is {len(token)} characters; use at least {MIN_TOKEN_LENGTH} random "
            "ones: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    allow = config.get("METRICS_ALLOW") or ""
    if isinstance(allow, str):
        allow = [item.strip() for item in allow.split(",") if item.strip()]
    try:
        config["METRICS_ALLOW_NETWORKS"] = [ipaddress.ip_network(a, strict=False) for a in allow]
    except ValueError as exc:
        raise RuntimeError(
            f"METRICS_ALLOW: {exc} (addresses or networks, comma-separated)"
        ) from exc
    enabled = bool(token or allow)
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        # prometheus-client writes there on the first count; a missing folder would fail then.
        os.makedirs(folder, exist_ok=True)
    workers = int(config.get("WEB_CONCURRENCY") or 1)
    if enabled and workers > 1 and not folder and config.get("ENV_NAME") == "production":
        raise RuntimeError(
            f"WEB_CONCURRENCY={workers} and /metrics is on, but PROMETHEUS_MULTIPROC_DIR is not "
            "set: each worker would report only its own requests. Set it to an empty folder "
            "that only the web processes write (README: Metrics)."
        )
    events.init_timing(app)
    app.register_blueprint(views.bp)
