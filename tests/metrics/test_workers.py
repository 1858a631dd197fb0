"""Under gunicorn, as deployed: the counts of every worker, restarted ones included, add up in
every answer, whichever worker gives it (PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from coalition import create_app
from coalition.extensions import db
from tests.conftest import _free_port
from tests.metrics.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _healthz_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "coalition_http_request_duration_seconds_count"
        and sample.labels["endpoint"] == "health.healthz"
    )


def test_every_gunicorn_worker_counts_in_every_scrape(tmp_path):
    database = f"sqlite:///{tmp_path / 'coalition.db'}"
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    folder = tmp_path / "prometheus"
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COALITION_ENV": "testing",
        "DATABASE_URL": database,
        "METRICS_TOKEN": TOKEN,
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # Each worker is replaced after 4 requests: the counts of the ones gone must stay.
    server = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--max-requests", "4", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(port, "/metrics")
                break
            except OSError:
                assert server.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        for _ in range(20):
            assert _get(port, "/healthz")[0] == 200
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(4):  # answered by different workers, each new ones
            status, text = _get(port, "/metrics", auth)
            assert status == 200
            assert _healthz_count(text) == 20
            assert 'coalition_outbox_queued{channel="email",priority="routine"} 0.0' in text
    finally:
        server.terminate()
        server.wait(timeout=30)
    writers = {path.stem.rsplit("_", 1)[1] for path in folder.glob("histogram_*.db")}
    assert len(writers) >= 4  # processes that answered requests, all counted above
