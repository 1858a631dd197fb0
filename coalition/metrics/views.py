"""`GET /metrics`: Prometheus' text format, for the operators' scraper only.

Off unless configured: with neither `METRICS_TOKEN` nor `METRICS_ALLOW` the URL answers 404
like any unknown page. With a token, the scraper sends `Authorization: Bearer <token>`
(compared in constant time): none → 401, another → 403. With `METRICS_ALLOW`, the client's
address (after `TRUSTED_PROXIES`) must be in one of its networks, else 403. With both, both.
A refusal carries no figure.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from coalition import counters as events
from coalition.access import access
from coalition.metrics.stored import StoredState

bp = Blueprint("metrics", __name__)


def _refuse(status: int, message: str, **headers) -> None:
    response = Response(message + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers)
    abort(response)


def scraper(**_kwargs) -> bool:
    """The access rule of /metrics (`coalition/access.py`): it answers the refusals itself, a
    scraper is not someone to send to the sign-in page."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    networks = config.get("METRICS_ALLOW_NETWORKS")
    if not token and not networks:
        abort(404)
    if networks:
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in network for network in networks):
            _refuse(403, "Forbidden")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            _refuse(401, "Unauthorized", **{"WWW-Authenticate": 'Bearer realm="metrics"'})
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            _refuse(403, "Forbidden")
    return True


def registry_for_scrape() -> CollectorRegistry:
    """The stored state, plus this process's counts, or, under gunicorn with
    `PROMETHEUS_MULTIPROC_DIR`, every worker's counts added up from that folder."""
    registry = CollectorRegistry()
    registry.register(StoredState())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (
            events.REQUEST_SECONDS,
            events.FEED_BUILDS,
            events.FEED_BUILD_SECONDS,
            events.CACHE_LOOKUPS,
        ):
            registry.register(metric)
    return registry


@bp.route("/metrics")
@access(scraper)
def metrics():
    response = Response(generate_latest(registry_for_scrape()), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
