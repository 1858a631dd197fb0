"""Where uploaded pictures live: `instance/uploads/` (UPLOAD_STORAGE=local, the default) or an
S3-compatible bucket (UPLOAD_STORAGE=s3, with boto3). Names are content-hashed, so a stored file
never changes and is served with a year-long `immutable` cache header."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from flask import current_app

#: What a stored name looks like: `e<event id>-<hash>-<width>.jpg`.
NAME = re.compile(r"^e\d{1,10}-[0-9a-f]{24}-\d{2,5}\.jpg$")


class LocalStorage:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        if not NAME.match(name):
            raise ValueError(f"not a stored name: {name!r}")
        return self.folder / name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # readers never see half a file

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except (OSError, ValueError):
            return None

    def delete(self, name: str) -> None:
        with contextlib.suppress(ValueError):
            self._path(name).unlink(missing_ok=True)

    def public_url(self, name: str) -> str | None:
        """None: the app serves the file itself (`/media/<name>`)."""
        return None


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Backblaze, R2...). Files are read by visitors from
    UPLOAD_PUBLIC_URL when set, else through the app."""

    def __init__(self, config):
        import boto3

        self.bucket = config["UPLOAD_S3_BUCKET"]
        self.prefix = config.get("UPLOAD_S3_PREFIX") or ""
        self.base_url = (config.get("UPLOAD_PUBLIC_URL") or "").rstrip("/")
        self.client = boto3.client("s3", endpoint_url=config.get("UPLOAD_S3_ENDPOINT") or None)

    def _key(self, name: str) -> str:
        if not NAME.match(name):
            raise ValueError(f"not a stored name: {name!r}")
        return self.prefix + name

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(name),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def get(self, name: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except (ClientError, ValueError):  # no such key, or not one of our names: a 404
            return None
        return answer["Body"].read()

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def public_url(self, name: str) -> str | None:
        return f"{self.base_url}/{self.prefix}{name}" if self.base_url else None


IMMUTABLE = "public, max-age=31536000, immutable"


def get_storage() -> LocalStorage | S3Storage:
    app = current_app
    storage = app.extensions.get("uploads")
    if storage is None:
        if app.config.get("UPLOAD_STORAGE", "local") == "s3":
            storage = S3Storage(app.config)
        else:
            storage = LocalStorage(app.config["UPLOAD_FOLDER"])
        app.extensions["uploads"] = storage
    return storage
