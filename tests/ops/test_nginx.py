"""README's nginx configuration, run as written in front of gunicorn's sync workers.

The server blocks are read from README's ```nginx block, so the README is what is tested. Only
what a test must change is changed: the ports (free ones on loopback), the certificate (a
self-signed one made here), the static folder (this checkout's) and gunicorn's port. nginx runs
with a prefix of its own (pid, logs and temporary files in a temporary folder) and gunicorn as
README's `web:` line runs it (`gunicorn --bind 127.0.0.1:… wsgi:app`, two sync workers from
WEB_CONCURRENCY) with README's production settings, on a SQLite file.

The claim: a sync worker is held for as long as its client takes to send the request, so a few
slow clients (slowloris: headers a byte at a time; R.U.D.Y.: a form's body a byte at a time)
take every worker and everyone else waits. Ten such clients, more than there are workers, are
started; straight to gunicorn a normal page waits behind them until they finish, and through
nginx (which reads each whole request before passing it on) the same page answers while every
one of them is still sending. Nothing is timed: the assertions are on what has finished first.

Then what the app expects of the proxy: HTTPS and HTTP/2, plain HTTP sent to HTTPS, the client's
address for rate limits (X-Forwarded-For replaced, never appended), the scheme and host for the
links the app builds, body limits that match the app's, private links kept out of nginx's log.

Without nginx the tests skip with a notice (`make test` installs Debian's when it runs as root);
REQUIRE_NGINX=1 (as in CI) makes that a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import _free_port
from tests.ops.conftest import skipped

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REQUIRE_NGINX = os.environ.get("REQUIRE_NGINX") == "1"
REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/13")
#: README's server_name, and the host of BASE_URL.
HOST = "events.example.org"
#: gunicorn's sync workers (README: WEB_CONCURRENCY=3); fewer than the slow clients.
WORKERS = 2
SLOW_CLIENTS = 10
#: Seconds between two bytes of a slow client.
TRICKLE = 0.05
#: Seconds a request may take before the test gives up on it: generous, for a loaded machine.
PATIENCE = 60
#: Seconds the baseline watches a page wait behind the slow clients. A false pass at worst: on
#: a machine so slow that a free worker takes longer than this, the page would wait anyway.
WATCH = 3
#: A body that goes through the app's form parsing (refuse_bad_bytes reads every form body).
SLOW_BODY = b"note=" + b"a" * 2000


def nginx_binary() -> str | None:
    """NGINX, else nginx on PATH, else Debian's /usr/sbin/nginx (not on a user's PATH)."""
    for candidate in (os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# README ------------------------------------------------------------------------------------------


def readme_block(language: str) -> str:
    blocks = re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.S | re.M)
    assert len(blocks) == 1, f"README has {len(blocks)} ```{language} blocks; this test reads one"
    return blocks[0]


def readme_server_blocks(*, http_port, https_port, upstream_port, cert, key) -> str:
    """README's nginx block with what only a test may change, each change required to apply."""
    static = ROOT / "coalition" / "static"
    changes = [
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen 443 ssl\b", f"listen 127.0.0.1:{https_port} ssl"),
        (r"ssl_certificate \s*\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key \s*\S+;", f"ssl_certificate_key {key};"),
        (r"alias /srv/coalition/coalition/static/;", f"alias {static}/;"),
        (r"proxy_pass http://127\.0\.0\.1:8000;", f"proxy_pass http://127.0.0.1:{upstream_port};"),
    ]
    config = readme_block("nginx")
    for pattern, replacement in changes:
        config, count = re.subn(pattern, lambda _match, new=replacement: new, config)
        assert count, f"README's nginx block has no {pattern!r} any more: update this test"
    return config


def nginx_conf(folder: Path, servers: str) -> str:
    """The main configuration around README's server blocks (Debian's nginx.conf holds them in
    its http block): everything nginx writes goes to `folder`."""
    mime_types = Path("/etc/nginx/mime.types")
    lines = [
        f"pid {folder}/nginx.pid;",
        f"error_log {folder}/error.log;",
        # As root, nginx's workers would otherwise run as nobody, who cannot enter `folder`.
        "user root;" if os.geteuid() == 0 else "",
        "worker_processes 1;",
        "events { worker_connections 256; }",
        "http {",
        f"    include {mime_types};" if mime_types.exists() else "",
        "    default_type application/octet-stream;",
        # Where a server without `access_log off` writes (Debian: /var/log/nginx/access.log).
        f"    access_log {folder}/access.log;",
        *(
            f"    {kind}_temp_path {folder}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        servers,
        "}",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)  # TEST_CLOCK may put it back a day: the window covers that
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def tls_context(alpn: list[str] | None = None) -> ssl.SSLContext:
    """The test's certificate is its own: what is tested is nginx's proxying, not the PKI."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


# The site: gunicorn, and nginx in front --------------------------------------------------------


@dataclass
class Site:
    gunicorn_port: int
    http_port: int
    https_port: int
    folder: Path

    def access_log(self) -> str:
        path = self.folder / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(answers, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while True:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited:\n{log.read_text(errors='replace')}")
        try:
            if answers():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not answer:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    nginx = nginx_binary()
    if nginx is None:
        message = "nginx is not installed (apt-get install -y nginx): the nginx test is not run"
        skipped.append(message)
        if REQUIRE_NGINX:
            pytest.fail(message)
        pytest.skip(message)

    from coalition import create_app
    from coalition.extensions import db

    folder = tmp_path_factory.mktemp("nginx")
    database = f"sqlite:///{folder / 'coalition.db'}"
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
        db.engine.dispose()

    # README's .env, on loopback.
    environment = {
        **os.environ,
        "COALITION_ENV": "production",
        "SECRET_KEY": "nginx-test-only",
        "CONTACT_KEYS": "bmdpbngtdGVzdC1vbmx5LWNvbnRhY3Qta2V5cy0tLS0=",
        "CONTACT_HASH_KEY": "nginx-test-only-contact-hash-key",
        "DATABASE_URL": database,
        "BASE_URL": f"https://{HOST}",
        "PREFERRED_URL_SCHEME": "https",
        "TRUSTED_PROXIES": "1",
        "WEB_CONCURRENCY": str(WORKERS),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"nginx-{uuid.uuid4().hex}",
        "REQUIRE_TWO_FACTOR": "1",
        "MAIL_BACKEND": "folder",
        "MAIL_FOLDER": str(folder / "mail"),
    }
    gunicorn_port = _free_port()
    gunicorn_log = folder / "gunicorn.log"
    with gunicorn_log.open("wb") as output:
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--bind",
                f"127.0.0.1:{gunicorn_port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    processes = [gunicorn]
    try:
        _wait_for(
            lambda: fetch(gunicorn_port, "/healthz")[0] == 200, gunicorn, gunicorn_log, "gunicorn"
        )

        cert, key = self_signed_certificate(folder)
        site = Site(gunicorn_port, _free_port(), _free_port(), folder)
        servers = readme_server_blocks(
            http_port=site.http_port,
            https_port=site.https_port,
            upstream_port=gunicorn_port,
            cert=cert,
            key=key,
        )
        conf = folder / "nginx.conf"
        conf.write_text(nginx_conf(folder, servers))
        nginx_log = folder / "nginx.log"
        command = [nginx, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(conf)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, f"nginx refuses README's configuration:\n{check.stderr}"
        with nginx_log.open("wb") as output:
            server = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT
            )
        processes.append(server)
        _wait_for(
            lambda: fetch(site.https_port, "/healthz", tls=True)[0] == 200,
            server,
            folder / "error.log",
            "nginx",
        )
        yield site
    finally:
        for process in reversed(processes):
            _stop(process)


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    tls: bool = False,
    source: str = "127.0.0.1",
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = PATIENCE,
):
    """(status, headers, body) of one request from `source` (any 127.x address is loopback)."""
    address = ("127.0.0.1", port)
    if tls:
        connection = http.client.HTTPSConnection(
            *address, timeout=timeout, context=tls_context(), source_address=(source, 0)
        )
    else:
        connection = http.client.HTTPConnection(
            *address, timeout=timeout, source_address=(source, 0)
        )
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def from_app(headers) -> bool:
    """Was this answer written by the app? Every one of its answers has a CSP; nginx's own
    (its 413, its redirect, a static file) never."""
    return "Content-Security-Policy" in headers


# Slow clients ------------------------------------------------------------------------------------


class SlowClient(threading.Thread):
    """Sends `request` up to `held_from` at once, then a byte every TRICKLE seconds, keeping back
    its last byte, until released; then the rest at once, and reads the answer."""

    def __init__(self, port: int, request: bytes, held_from: int, tls: bool, release):
        super().__init__(daemon=True)
        self.port, self.request, self.held_from, self.tls = port, request, held_from, tls
        self.release = release
        self.sent = 0
        #: Set once connected, with its first bytes sent one at a time.
        self.trickling = threading.Event()
        self.status: int | None = None
        self.by_app = False
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=PATIENCE)
            if self.tls:
                sock = tls_context().wrap_socket(sock, server_hostname=HOST)
            with sock:
                sock.sendall(self.request[: self.held_from])
                self.sent = self.held_from
                while not self.release.is_set() and self.sent < len(self.request) - 1:
                    sock.sendall(self.request[self.sent : self.sent + 1])
                    self.sent += 1
                    if self.sent - self.held_from >= 3:
                        self.trickling.set()
                    self.release.wait(TRICKLE)
                self.trickling.set()
                self.release.wait(PATIENCE)
                sock.sendall(self.request[self.sent :])
                self.sent = len(self.request)
                response = http.client.HTTPResponse(sock)
                response.begin()
                response.read()
                self.status, self.by_app = response.status, from_app(response.headers)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.trickling.set()

    @property
    def answered(self) -> bool:
        return self.status is not None or self.error is not None


def slow_requests() -> list[tuple[bytes, int, int]]:
    """(request, bytes sent at once, the app's answer): half slowloris (headers a byte at a
    time), half R.U.D.Y. (a form's body a byte at a time, after its headers)."""
    headers = f"GET /calendar HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    form = (
        f"POST /calendar HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(SLOW_BODY)}\r\n\r\n"
    ).encode()
    half = SLOW_CLIENTS // 2
    return [(headers, 0, 200)] * half + [(form + SLOW_BODY, len(form), 405)] * (SLOW_CLIENTS - half)


@contextmanager
def slow_clients(port: int, *, tls: bool):
    """SLOW_CLIENTS clients, every one of them sending when the block starts; released (and
    answered) when it ends. Yields them and the event that releases them."""
    release = threading.Event()
    clients = [
        SlowClient(port, request, held, tls, release) for request, held, _ in slow_requests()
    ]
    try:
        for client in clients:
            client.start()
            assert client.trickling.wait(PATIENCE), "a slow client could not connect"
            assert client.error is None, client.error
        yield clients, release
    finally:
        release.set()
        for client in clients:
            client.join(PATIENCE)


class Fetch(threading.Thread):
    """A normal visitor's GET, in the background."""

    def __init__(self, port: int, path: str, *, watching: threading.Event):
        super().__init__(daemon=True)
        self.port, self.path, self.watching = port, path, watching
        self.status: int | None = None
        self.error: BaseException | None = None
        #: Was `watching` set when the answer came?
        self.answered_after: bool | None = None

    def run(self) -> None:
        try:
            self.status = fetch(self.port, self.path)[0]
        except BaseException as exc:
            self.error = exc
        self.answered_after = self.watching.is_set()


def test_slow_clients_hold_every_sync_worker_without_nginx(site):
    """The problem is real: straight to gunicorn, slow clients take both workers and a visitor's
    page waits until they have finished sending."""
    with slow_clients(site.gunicorn_port, tls=False) as (clients, release):
        visitor = Fetch(site.gunicorn_port, "/calendar", watching=release)
        visitor.start()
        visitor.join(WATCH)
        assert visitor.is_alive(), f"the page answered ({visitor.status}) with every worker held"
        assert not any(client.answered for client in clients)
    visitor.join(PATIENCE)
    assert visitor.status == 200, visitor.error
    assert visitor.answered_after, "the page answered before the slow clients were done"
    assert [client.status for client in clients] == [answer for *_, answer in slow_requests()], [
        client.error for client in clients
    ]


def test_through_nginx_a_page_answers_while_slow_clients_are_still_sending(site):
    """README's nginx reads each whole request before gunicorn sees it: the same slow clients
    hold nothing but nginx's connections, and the visitor's page answers meanwhile."""
    with slow_clients(site.https_port, tls=True) as (clients, release):
        status, headers, _ = fetch(site.https_port, "/calendar", tls=True)
        assert status == 200 and from_app(headers)
        still_sending = [
            client
            for client in clients
            if client.is_alive() and not client.answered and client.sent < len(client.request)
        ]
        assert len(still_sending) == SLOW_CLIENTS and not release.is_set()
    # Released, each gets the app's answer: nginx passed their whole requests on.
    answers = [(answer, True) for *_, answer in slow_requests()]
    assert [(client.status, client.by_app) for client in clients] == answers, [
        client.error for client in clients
    ]


# What the app expects of the proxy ---------------------------------------------------------------


def test_readme_proxies_to_where_gunicorn_listens():
    web = re.findall(r"^web: .*gunicorn --bind (\S+) wsgi:app", README.read_text(), re.M)
    upstream = re.findall(r"proxy_pass http://(\S+);", readme_block("nginx"))
    assert web and upstream and set(web) == set(upstream), (web, upstream)


def test_https_with_http2_and_plain_http_sent_to_https(site):
    context = tls_context(alpn=["h2", "http/1.1"])
    raw = socket.create_connection(("127.0.0.1", site.https_port), timeout=PATIENCE)
    with context.wrap_socket(raw, server_hostname=HOST) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        assert sock.version() in ("TLSv1.2", "TLSv1.3")

    status, headers, _ = fetch(site.http_port, "/calendar?month=3")
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/calendar?month=3"


def test_the_app_builds_https_links_on_the_visitors_host(site):
    """The forwarded scheme, host and port reach the app: a URL it makes from the request (the
    slash it adds to /admin) is https on the name and port the visitor used (the port through
    TRUSTED_PROXIES; gunicorn itself honours X-Forwarded-Proto from loopback). Straight to
    gunicorn, without those headers, the same URL is http: the scheme came from nginx."""
    status, headers, _ = fetch(site.https_port, "/admin", tls=True)
    assert status == 308
    assert headers["Location"] == f"https://{HOST}:{site.https_port}/admin/"
    assert "max-age" in headers["Strict-Transport-Security"]

    status, headers, _ = fetch(site.gunicorn_port, "/admin")
    assert status == 308 and headers["Location"] == f"http://{HOST}/admin/"


def _need_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc}): rate limits not checked"
        if REQUIRE_REDIS:
            pytest.fail(message)
        pytest.skip(message)


def test_rate_limits_count_each_client_not_nginx(site):
    """TRUSTED_PROXIES=1 and README's X-Forwarded-For: the API's limit (10 a minute) counts per
    visitor; a forged X-Forwarded-For does not make a visitor someone else; and one visitor's
    429 is not another's, though all of them reach gunicorn from nginx's one address."""
    _need_redis()  # README's shared counters: both workers count together
    path = "/api/v1/events/999999/rsvps"
    body = json.dumps({"name": "Ana", "email": "ana@example.org"}).encode()

    def rsvp(source: str, forged: str | None = None) -> int:
        headers = {"Content-Type": "application/json"}
        if forged:
            headers["X-Forwarded-For"] = forged
        return fetch(
            site.https_port,
            path,
            method="POST",
            tls=True,
            source=source,
            headers=headers,
            body=body,
        )[0]

    answers = [rsvp("127.0.0.2", forged=f"203.0.113.{n}") for n in range(11)]
    assert answers == [404] * 10 + [429]
    assert rsvp("127.0.0.3") == 404


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="picture"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_body_limits_match_the_app(site):
    """A picture up to IMAGE_MAX_BYTES (8 MiB) reaches the app (here: not signed in, so it
    says so); beyond, and any other body beyond MAX_CONTENT_LENGTH (1 MiB), is refused."""
    mib = 1024 * 1024

    def post(path: str, size: int):
        body, content_type = _multipart(size)
        status, headers, _ = fetch(
            site.https_port,
            path,
            method="POST",
            tls=True,
            headers={"Content-Type": content_type},
            body=body,
        )
        return status, from_app(headers)

    status, by_app = post("/events/1/image", 3 * mib)
    assert by_app and status != 413, status
    assert post("/events/1/image", 9 * mib)[0] == 413
    assert post("/calendar", 2 * mib)[0] == 413


def test_static_files_served_by_nginx(site):
    status, headers, body = fetch(site.https_port, "/static/style.css", tls=True)
    assert status == 200 and not from_app(headers)
    assert body == (ROOT / "coalition" / "static" / "style.css").read_bytes()
    assert headers["Cache-Control"] == "max-age=3600"


def test_private_links_stay_out_of_nginx_log(site):
    """Attendees' private links are in URLs: neither server block writes them to a log."""
    secret = f"/rsvp/{uuid.uuid4().hex}"
    fetch(site.https_port, secret, tls=True)
    fetch(site.http_port, secret)
    assert secret not in site.access_log()
