"""Uploaded pictures, made safe to publish: decoded by Pillow (JPEG, PNG or WebP only),
turned upright, re-encoded as JPEG without any metadata (EXIF, GPS, XMP, comments), in a few
widths for phones, pages and link previews."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
#: Widths made (never wider than the original; the original's own width when it is smaller).
WIDTHS = (480, 960, 1600)
#: Refuse pictures of more pixels than this (decompression bombs).
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


class ImageError(ValueError):
    pass


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes

    def name(self, event_id: int) -> str:
        digest = hashlib.sha256(self.data).hexdigest()[:24]
        return f"e{event_id}-{digest}-{self.width}.jpg"


def _open(data: bytes) -> Image.Image:
    try:
        probe = Image.open(io.BytesIO(data))
        if probe.format not in ACCEPTED_FORMATS:
            raise ImageError(_l("Upload a JPEG, PNG or WebP picture."))
        if probe.width * probe.height > MAX_PIXELS:
            raise ImageError(_l("The picture has too many pixels. Upload a smaller one."))
        probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        message = _l("The file is not a picture we can read. Upload a JPEG, PNG or WebP.")
        raise ImageError(message) from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied), RGB (transparency on white), and pixels only: a new
    image that carries none of the upload's `info` (comment, ICC profile, XMP, EXIF), which
    Pillow would otherwise write back into the JPEG."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
    else:
        flat = image.convert("RGB")
    return Image.frombytes("RGB", flat.size, flat.tobytes())


def process(data: bytes) -> list[Variant]:
    """The variants of an uploaded picture, smallest first; ImageError when it is refused."""
    image = _flatten(_open(data))
    widths = sorted({min(width, image.width) for width in WIDTHS})
    variants = []
    for width in widths:
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        out = io.BytesIO()
        # A pixels-only image and no exif=, icc_profile=, xmp= or comment=: nothing else is written.
        resized.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        variants.append(Variant(width=width, height=height, data=out.getvalue()))
    return variants
