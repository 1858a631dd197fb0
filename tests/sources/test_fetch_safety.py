"""The fetcher reads public http(s) addresses only, within a size and a time budget."""

from __future__ import annotations

import time

import pytest

from coalition.sources.fetch import FetchError, fetch, is_public_address

FEED = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def backend():
    return "sqlite"  # the fetcher touches no database


def test_the_test_server_itself_is_read(app, feed_server):
    url = feed_server.serve("/plain.ics", FEED, headers={"ETag": '"v1"'})
    fetched = fetch(url)
    assert fetched.body == FEED
    assert fetched.etag == '"v1"'


def test_conditional_get_sends_the_validators_and_reads_a_304(app, feed_server):
    url = feed_server.serve("/cond.ics", FEED, headers={"ETag": '"v2"'})
    fetched = fetch(url, etag='"v2"', last_modified="Sat, 05 Dec 2026 10:00:00 GMT")
    assert fetched.body is None
    sent = feed_server.requests[-1]
    assert sent["If-None-Match"] == '"v2"'
    assert sent["If-Modified-Since"] == "Sat, 05 Dec 2026 10:00:00 GMT"


def test_a_redirect_to_loopback_is_refused(app, feed_server):
    target = feed_server.serve("/secret.ics", FEED)
    url = feed_server.serve("/redirect.ics", b"", status=302, headers={"Location": target})
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert "private network" in str(caught.value)
    assert not any(r["path"] == "/secret.ics" for r in feed_server.requests)


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost/x.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.ics",
        "http://[::1]/x.ics",
        "http://192.168.1.1/x.ics",
    ],
)
def test_a_redirect_to_an_inside_address_is_refused(app, feed_server, target):
    url = feed_server.serve(f"/to-{abs(hash(target))}.ics", b"", status=301,
                            headers={"Location": target})  # fmt: skip
    with pytest.raises(FetchError, match="private network"):
        fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.ics",  # loopback on another port than the test server
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/x.ics",
        "http://100.64.1.1/x.ics",
    ],
)
def test_inside_addresses_are_refused_as_a_first_url(app, url):
    with pytest.raises(FetchError, match="private network"):
        fetch(url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.ics", "gopher://x"])
def test_only_http_and_https(app, url):
    with pytest.raises(FetchError, match="http://"):
        fetch(url)


def test_a_50_mb_feed_is_stopped_early(app, feed_server):
    sent = {"bytes": 0}
    line = b"DESCRIPTION:" + b"x" * 1000 + b"\r\n"

    def fifty_megabytes(out):
        out.write(b"BEGIN:VCALENDAR\r\n")
        for _ in range(50_000):
            out.write(line)
            sent["bytes"] += len(line)

    # No Content-Length: the server streams; the reader must stop on its own.
    url = feed_server.serve("/huge.ics", fifty_megabytes)
    with pytest.raises(FetchError, match="larger than 5 MB"):
        fetch(url)
    assert sent["bytes"] < 50_000 * len(line)


def test_a_declared_50_mb_feed_is_not_read(app, feed_server):
    def nothing(out):
        out.write(b"BEGIN:VCALENDAR\r\n")

    feed_server.routes["/declared.ics"] = (200, {"Content-Length": str(50 * 1024 * 1024)}, nothing)
    with pytest.raises(FetchError, match="larger than"):
        fetch(feed_server.url("/declared.ics"))


def test_a_trickling_server_is_cut_at_the_time_budget(app, feed_server):
    app.config["SOURCES_TIMEOUT"] = 1

    def trickle(out):
        out.write(b"BEGIN:VCALENDAR\r\n")
        out.flush()
        for _ in range(30):
            time.sleep(0.2)
            out.write(b"X-A:b\r\n")
            out.flush()

    url = feed_server.serve("/slow.ics", trickle)
    started = time.perf_counter()
    with pytest.raises(FetchError, match="too long"):
        fetch(url)
    assert time.perf_counter() - started < 3


def test_errors_are_said_in_plain_words(app, feed_server):
    with pytest.raises(FetchError, match="no calendar at this address"):
        fetch(feed_server.url("/missing.ics"))
    url = feed_server.serve("/private.ics", b"", status=403)
    with pytest.raises(FetchError, match="not public"):
        fetch(url)


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.1.2.3", False),
     ("172.16.0.1", False), ("192.168.0.1", False), ("169.254.169.254", False), ("::1", False),
     ("fe80::1", False), ("fc00::1", False), ("::ffff:10.0.0.1", False), ("0.0.0.0", False),
     ("224.0.0.1", False), ("100.64.0.1", False)],
)  # fmt: skip
def test_public_addresses(address, public):
    assert is_public_address(address) is public
