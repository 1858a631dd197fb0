"""Printable flyers: the QR code of the RSVP page (segno) and the PDF (WeasyPrint).

WeasyPrint fetches nothing from the network: our stylesheets are read from disk and pictures
from the upload store; any other URL is refused."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import segno

from coalition.reach.storage import NAME, get_storage

STATIC = Path(__file__).resolve().parent.parent / "static"


def qr_data_uri(url: str) -> str:
    """A PNG of the QR code of `url`, as a data: URI (allowed by the CSP's img-src)."""
    return segno.make(url, error="m").png_data_uri(scale=8, border=4)


def _local(url: str) -> tuple[bytes, str]:
    """The bytes of one of our own files (stylesheet, picture) or of a data: URL."""
    if url.startswith("data:"):  # the QR code: decoded here, nothing fetched
        with urlopen(url) as answer:  # data: URLs only
            return answer.read(), answer.headers.get_content_type()
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    if path.startswith("/static/") and "/" not in path.removeprefix("/static/"):
        file = STATIC / last
        if file.is_file():
            return file.read_bytes(), mimetypes.guess_type(last)[0] or "text/plain"
    elif NAME.match(last):
        data = get_storage().get(last)
        if data is not None:
            return data, "image/jpeg"
    raise ValueError(f"flyer: not fetched: {url}")


def document(html: str, base_url: str):
    """The laid-out flyer (WeasyPrint's Document: its `pages`, `write_pdf()`)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            body, mime_type = _local(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type})

    return HTML(string=html, base_url=base_url, url_fetcher=LocalFetcher()).render()


def pdf(html: str, base_url: str) -> bytes:
    return document(html, base_url).write_pdf()
