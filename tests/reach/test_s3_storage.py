"""Pictures in an S3-compatible bucket (UPLOAD_STORAGE=s3), against moto's in-process S3."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from coalition.orgs.models import OrgRole
from tests.factories import OrganizationFactory, make_event, member_of
from tests.reach.test_images import GPS_IFD, jpeg_with_gps, upload

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")


@pytest.fixture
def bucket(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="pictures")
        yield boto3.client("s3")


@pytest.fixture
def app_overrides():
    return {"UPLOAD_STORAGE": "s3", "UPLOAD_S3_BUCKET": "pictures", "UPLOAD_S3_PREFIX": "events/"}


def test_pictures_go_to_the_bucket_without_their_location(app, client, db, bucket):
    org = OrganizationFactory()
    member_of(org, OrgRole.organizer, email="host@example.org")
    event = make_event(org)
    client.login("host@example.org")
    assert upload(client, event, jpeg_with_gps(1000, 800)).status_code == 302
    keys = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket="pictures")["Contents"])
    assert len(keys) == 3 and all(k.startswith(f"events/e{event.id}-") for k in keys)
    stored = bucket.get_object(Bucket="pictures", Key=keys[0])
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(stored["Body"].read()))
    assert not image.getexif().get_ifd(GPS_IFD)
    # Without UPLOAD_PUBLIC_URL the app serves them from the bucket.
    served = client.get("/media/" + keys[0].removeprefix("events/"))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    # Removing the picture removes its files.
    client.submit(f"/events/{event.id}/image/remove", page=f"/events/{event.id}/image")
    assert "Contents" not in bucket.list_objects_v2(Bucket="pictures")
