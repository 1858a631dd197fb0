"""Serving the app as production does (gunicorn) and loading it (wrk, or a Python client).

`Gunicorn` starts `gunicorn --workers N` on 127.0.0.1 in a subprocess and waits for /healthz.
`measure(port, path, seconds, connections)` answers requests per second over keep-alive
connections: with `wrk` when it is installed, else with a Python client (threads, one
persistent HTTP/1.1 connection each, reconnecting when the server closes it).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict | None = None, timeout: float = 120):
    """One GET on a new connection: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {"Accept-Language": "en"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Gunicorn:
    """`gunicorn --workers N bench_app:app` on a free loopback port, stopped on exit."""

    def __init__(self, database_url: str, *, workers: int = 2, env: dict | None = None):
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            sys.exit("gunicorn is missing: pip install -e '.[test]' (or '.[prod]').")
        self.command = [
            str(gunicorn),
            "--workers", str(workers),
            "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--pythonpath", str(ROOT / "bench"),
            "--log-level", "warning",
            "--timeout", "120",
            "bench_app:app",
        ]  # fmt: skip
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BENCH_APP_DATABASE_URL": database_url,
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with code {self.process.returncode}.")
            try:
                if get(self.port, "/healthz", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        sys.exit("gunicorn did not answer /healthz in time.")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Run:
    path: str
    requests: int
    seconds: float
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(m?s)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_STATUS = re.compile(r"^status (\d+) (\d+)$", re.MULTILINE)

#: wrk counts only statuses from 400 as "Non-2xx or 3xx": this script counts every status (a
#: page answering 302 to the sign-in page is a failed measurement, not a fast page).
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("codes")) do
      io.write(string.format("status %d %d\\n", status, count))
    end
  end
end
"""


def _status_script() -> str:
    path = Path(tempfile.gettempdir()) / f"coalition-bench-status-{os.getuid()}.lua"
    if not path.exists() or path.read_text() != STATUS_SCRIPT:
        path.write_text(STATUS_SCRIPT)
    return str(path)


def bad_statuses(statuses: dict[int, int]) -> int:
    """Answers that are not 2xx."""
    return sum(count for status, count in statuses.items() if not 200 <= status < 300)


def measure_wrk(
    port: int, path: str, seconds: float, connections: int, headers: dict | None = None
) -> Run:
    threads = min(2, connections)
    extra = []
    for name, value in {"Accept-Language": "en", **(headers or {})}.items():
        extra += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
         "--timeout", "30s", *extra, "-s", _status_script(), f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    out = result.stdout
    total = _TOTAL.search(out)
    requests = int(total.group(1)) if total else 0
    elapsed = float(total.group(2)) / (1000 if total and total.group(3) == "ms" else 1) if total \
        else seconds  # fmt: skip
    statuses: dict[int, int] = {}
    for status, count in _STATUS.findall(out):
        statuses[int(status)] = statuses.get(int(status), 0) + int(count)
    errors = bad_statuses(statuses)
    socket_errors = _SOCKET_ERRORS.search(out)
    if socket_errors:  # read errors are sync workers closing connections: wrk reconnects
        errors += int(socket_errors.group(1)) + int(socket_errors.group(4))
    return Run(path, requests, elapsed, errors, statuses)


def measure_python(
    port: int, path: str, seconds: float, connections: int, headers: dict | None = None
) -> Run:
    """Threads, each with one persistent connection (reopened when the server closes it)."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    run = Run(path, 0, 0.0)
    sent = {"Accept-Language": "en", **(headers or {})}

    def client() -> None:
        connection = None
        while time.monotonic() < deadline:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", path, headers=sent)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
                with lock:
                    run.errors += 1
                continue
            with lock:
                run.requests += 1
                run.statuses[status] = run.statuses.get(status, 0) + 1
                if not 200 <= status < 300:
                    run.errors += 1
        if connection is not None:
            connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


def drain(port: int, limit: float = 300.0) -> None:
    """Wait until requests still queued from a measurement are answered: /healthz alone answers
    fast again (else a slow page's backlog would be counted against the next measurement)."""
    deadline = time.monotonic() + limit
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        began = time.perf_counter()
        with contextlib.suppress(OSError):
            get(port, "/healthz", timeout=limit)
        quick = quick + 1 if time.perf_counter() - began < 0.05 else 0


def measure(
    port: int,
    path: str,
    seconds: float,
    connections: int,
    client: str,
    headers: dict | None = None,
) -> Run:
    """Requests per second of `path` (`headers` added to every request, e.g. a session
    cookie); every answer that is not 2xx is counted in `errors`."""
    drain(port)
    if client == "wrk":
        return measure_wrk(port, path, seconds, connections, headers)
    return measure_python(port, path, seconds, connections, headers)
