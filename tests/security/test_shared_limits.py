"""Finding 4: rate limits hold across worker processes when they share Redis.

Two real processes (as gunicorn's workers are) each build the app and post to the password
reset form (10 per minute per address); with Redis storage they count together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import json, sys
from coalition import create_app
from coalition.extensions import db
app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": sys.argv[1],
                  "RATELIMIT_KEY_PREFIX": sys.argv[2], "WTF_CSRF_ENABLED": False})
with app.app_context():
    db.create_all()
client = app.test_client()
statuses = [client.post("/password/forgot", data={"email": "a@example.org"}).status_code
            for _ in range(int(sys.argv[3]))]
print(json.dumps(statuses))
"""


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


def _two_workers(storage: str, prefix: str, each: int) -> list[int]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, storage, prefix, str(each)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    statuses = []
    for worker in workers:
        out, _err = worker.communicate(timeout=60)
        statuses += json.loads(out.strip().splitlines()[-1])
    return statuses


def test_two_processes_share_the_limit_through_redis():
    _redis_or_skip()
    prefix = f"coalition-test-{uuid.uuid4().hex}"
    try:
        shared = _two_workers(REDIS_URL, prefix, 8)
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    assert shared.count(429) == 6  # 16 tries, 10 allowed in all (memory:// let all 16 through)
