"""`GET /healthz` (see the package's docstring)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from coalition.access import access, public
from coalition.cache_store import RedisStore
from coalition.core.render_cache import get_store
from coalition.extensions import db
from coalition.mail.operations import oldest_due_seconds

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@access(public)
def healthz():
    """Each dependency's state, for load balancers and uptime checks (cheap: one `SELECT 1`, one
    indexed read of the outbox, one Redis PING that the breaker skips while Redis is known down).

    503 `down`: the database does not answer (nothing works). 200 `degraded`: Redis is down
    (pages, feeds and rate limits come from the database and memory meanwhile) or the outbox has
    a message waiting longer than HEALTH_OUTBOX_LATE_SECONDS (is the worker running?). 200 `ok`.
    """
    try:
        outbox_seconds = oldest_due_seconds()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="down", database="down"), 503
    store = get_store()
    redis = "off" if not isinstance(store, RedisStore) else "ok" if store.ping() else "down"
    late = outbox_seconds > current_app.config["HEALTH_OUTBOX_LATE_SECONDS"]
    status = "degraded" if redis == "down" or late else "ok"
    response = jsonify(status=status, database="ok", redis=redis,
                       outbox="late" if late else "ok", outbox_seconds=outbox_seconds)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response
