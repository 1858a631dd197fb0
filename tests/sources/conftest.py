"""A real HTTP server on loopback serving the fixtures, and the app told it may fetch from it
(`SOURCES_TEST_FEED_ADDRESSES`: the first URL only, never a redirect's target)."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


class FeedServer:
    """Routes: path -> (status, headers, body bytes or a callable writing to the socket)."""

    def __init__(self, *, tls=None):
        self.scheme = "https" if tls is not None else "http"
        self.routes: dict[str, tuple] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, **dict(self.headers.items())})
                status, headers, body = server.routes.get(self.path, (404, {}, b"no"))
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if callable(body):
                    self.end_headers()
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        body(self.wfile)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:  # an ssl.SSLContext: the same server over TLS
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body, *, status: int = 200, headers: dict | None = None) -> str:
        headers = {"Content-Type": "text/calendar; charset=utf-8", **(headers or {})}
        self.routes[path] = (status, headers, body)
        return self.url(path)

    def serve_fixture(self, name: str, **kwargs) -> str:
        return self.serve(f"/{name}", (FIXTURES / name).read_bytes(), **kwargs)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def feed_server():
    server = FeedServer()
    yield server
    server.stop()


@pytest.fixture
def app_overrides(feed_server):
    return {"SOURCES_TEST_FEED_ADDRESSES": (feed_server.address,), "SOURCES_TIMEOUT": 5}
