"""Fetching a source's feed safely: the one place this service opens a URL someone typed.

- http and https only; the host is resolved here and every address it resolves to must be a
  public one (no loopback, private ranges, link-local and cloud metadata, carrier-grade NAT,
  multicast or reserved); the connection goes to the address we checked (no second lookup that
  a rebinding DNS could answer differently), with the name kept for TLS and the Host header;
- redirects are followed by hand, at most `SOURCES_MAX_REDIRECTS`, each target checked the same
  way;
- the body is read in chunks and abandoned past `SOURCES_MAX_BYTES`; the whole exchange past
  `SOURCES_TIMEOUT` seconds (a server that trickles a byte a second is cut too);
- a conditional GET (If-None-Match / If-Modified-Since) so an unchanged feed costs a 304.

`SOURCES_TEST_FEED_ADDRESSES` ("127.0.0.1:8123", ...) lets the tests' own feed server on
loopback be the *first* URL fetched. It is never consulted for a redirect's target, and it is
empty outside tests. `SOURCES_TEST_CA_FILE` (tests only, else None) is the tests' own certificate
authority, trusted instead of the system's so that a local TLS server can be read over https;
the certificate is checked as ever (its name, its chain).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from flask import current_app

from coalition.sources import messages

#: Addresses `is_global` lets through that no feed lives at.
_ALSO_REFUSED = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 can reach private IPv4
)
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """The feed could not be read: `code` and `params` say why (a key of
    `sources.messages.ERRORS`, stored as is and put into words for whoever reads it);
    `message` is those words, lazily, in the reader's language."""

    def __init__(self, code: str, *, permanent: bool = False, **params):
        super().__init__(code)
        self.code = code
        self.params = params
        self.message = messages.lazy(code, params)
        #: Retrying will not help (a refused address, not an outage).
        self.permanent = permanent

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Fetched:
    #: None when the server answered 304 Not Modified.
    body: bytes | None
    etag: str | None
    last_modified: str | None
    final_url: str


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    return not any(ip in network for network in _ALSO_REFUSED)


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `url`, or FetchError: only http(s) with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("invalid_address", permanent=True) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("not_http", permanent=True)
    if parts.username or parts.password:
        raise FetchError("credentials", permanent=True)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _resolve(host: str, port: int, *, allowed: frozenset[str]) -> str:
    """The address to connect to, after checking every address `host` has."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("no_such_host") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchError("no_such_host")
    if allowed and all(f"{a}:{port}" in allowed for a in addresses):
        return addresses[0]
    if not all(is_public_address(a) for a in addresses):
        raise FetchError("private_address", permanent=True)
    return addresses[0]


def _open(scheme, host, port, address, path, headers, timeout):
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED", timeout=timeout, retries=False, maxsize=1,
            ca_certs=current_app.config.get("SOURCES_TEST_CA_FILE") or None,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    return pool, pool.urlopen(
        "GET", path, headers={**headers, "Host": host_header}, redirect=False,
        preload_content=False, decode_content=True, assert_same_host=False,
    )  # fmt: skip


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """GET `url` under the rules above."""
    config = current_app.config
    max_bytes = config["SOURCES_MAX_BYTES"]
    budget = config["SOURCES_TIMEOUT"]
    allowed = frozenset(config.get("SOURCES_TEST_FEED_ADDRESSES") or ())
    deadline = time.perf_counter() + budget
    headers = {
        "User-Agent": "Coalition calendar importer (+{})".format(config.get("BASE_URL", "")),
        "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for hop in range(config["SOURCES_MAX_REDIRECTS"] + 1):
        scheme, host, port = check_url(url)
        # Only the first URL may be the tests' own server; a redirect's target never is.
        address = _resolve(host, port, allowed=allowed if hop == 0 else frozenset())
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise FetchError("too_slow")
        timeout = urllib3.Timeout(connect=min(remaining, 10), read=remaining)
        try:
            pool, response = _open(scheme, host, port, address, path, headers, timeout)
        except urllib3.exceptions.SSLError as exc:
            raise FetchError("bad_certificate") from exc
        except urllib3.exceptions.TimeoutError as exc:
            raise FetchError("too_slow") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError("unreachable") from exc
        try:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError("redirect_without_address")
                url = urljoin(url, location)
                continue
            if response.status == 304:
                return Fetched(None, etag, last_modified, url)
            if response.status in (401, 403):
                raise FetchError("not_public")
            if response.status in (404, 410):
                raise FetchError("no_calendar")
            if response.status != 200:
                raise FetchError("http_error", status=response.status)
            body = _read(response, max_bytes, deadline)
            return Fetched(
                body, response.headers.get("ETag"), response.headers.get("Last-Modified"), url
            )
        finally:
            response.release_conn()
            response.close()
            pool.close()
    raise FetchError("too_many_redirects")


def _read(response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise _too_big(max_bytes)
            if time.perf_counter() > deadline:
                raise FetchError("slow_body")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError as exc:
        raise FetchError("slow_body") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchError("broken_connection") from exc
    return b"".join(chunks)


def _too_big(max_bytes: int) -> FetchError:
    return FetchError("too_big", size=max(1, max_bytes // 1_000_000))
