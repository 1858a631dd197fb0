"""Reading a feed over https: a local TLS server whose certificate comes from a certificate
authority made for these tests (trustme) and trusted for them only (`SOURCES_TEST_CA_FILE`).
The certificate is checked as ever: without that authority, or for another name, nothing is
read and the calendar's page says why."""

from __future__ import annotations

import ssl

import pytest
import trustme

from coalition.sources.fetch import FetchError, fetch
from tests.sources.conftest import FIXTURES, FeedServer


@pytest.fixture
def backend():
    return "sqlite"  # the fetcher touches no database


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


def _tls_server(authority, name: str) -> FeedServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(name).configure_cert(context)
    return FeedServer(tls=context)


@pytest.fixture(scope="module")
def tls_server(authority):
    server = _tls_server(authority, "127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def misnamed_server(authority):
    server = _tls_server(authority, "calendar.example.org")  # not the address we read
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca_file(authority, tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def app_overrides(tls_server, misnamed_server, ca_file, request):
    trusted = "untrusted" not in request.node.name
    return {
        "SOURCES_TEST_FEED_ADDRESSES": (tls_server.address, misnamed_server.address),
        "SOURCES_TEST_CA_FILE": ca_file if trusted else None,
        "SOURCES_TIMEOUT": 5,
    }


def test_a_feed_is_read_over_https(app, tls_server):
    url = tls_server.serve_fixture("google.ics", headers={"ETag": '"tls-1"'})
    assert url.startswith("https://127.0.0.1:")
    fetched = fetch(url)
    assert fetched.body == (FIXTURES / "google.ics").read_bytes()
    assert fetched.etag == '"tls-1"'
    assert fetch(url, etag='"tls-1"').body is None  # the conditional GET works over TLS too


def test_a_certificate_for_another_name_is_refused(app, misnamed_server):
    url = misnamed_server.serve_fixture("google.ics")
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.code == "bad_certificate"
    assert not any(r["path"] == "/google.ics" for r in misnamed_server.requests)


def test_an_untrusted_authority_is_refused(app, tls_server):
    """Without the tests' authority, the same server is a self-signed stranger."""
    url = tls_server.serve_fixture("apple.ics")
    before = len(tls_server.requests)
    with pytest.raises(FetchError) as caught:
        fetch(url)
    assert caught.value.code == "bad_certificate"
    assert "secure connection could not be checked" in str(caught.value)
    assert len(tls_server.requests) == before  # nothing was asked of it


def test_an_https_source_polls_and_imports(app, db, tls_server):
    import time_machine

    from coalition.sources import operations
    from tests.sources.helpers import NOW, imported_events, make_source

    with time_machine.travel(NOW, tick=False):
        source = make_source(tls_server.serve_fixture("thunderbird.ics"), publishes_at_once=True)
        report = operations.poll(source, NOW)
        db.session.commit()
    assert source.last_error is None and report.created >= 1
    assert "Rapid responder training" in imported_events(source)
