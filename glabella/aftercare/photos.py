"""A photo sent with a check-in or taken in the clinic: checked to be a real image, turned
upright, scaled down and saved again as JPEG without its metadata (a phone's photo can carry
where it was taken). Pure: bytes in, bytes out, or ValidationFailed naming the `photo` field
(its message in the active language: a patient sends photos from the check-in page).
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from glabella.core.errors import ValidationFailed

MAX_BYTES = 15 * 1024 * 1024
# Larger is refused from the header, before it is decoded: at up to 4 bytes a pixel (RGBA) a
# decode stays under 100 MB (decision 0026). A phone's photo is 12 to 24 megapixels.
MAX_PIXELS = 24_000_000
LONG_EDGE = 2048
FORMATS = {"JPEG", "PNG", "WEBP"}


def too_large() -> str:
    return _("The photo is larger than %(mb)s MB; send a smaller one.") % {
        "mb": MAX_BYTES // (1024 * 1024)
    }


@dataclass(frozen=True)
class Photo:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"photo": [message]})


def clean(raw: bytes) -> Photo:
    if not raw:
        raise _refuse(_("The photo is empty; choose it again."))
    if len(raw) > MAX_BYTES:
        raise _refuse(too_large())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in FORMATS:
                raise _refuse(_("Send a JPEG, PNG or WebP photo."))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(
                    _("The photo has too many pixels (over %(pixels)s); send a smaller one.")
                    % {"pixels": f"{MAX_PIXELS:,}"}
                )
            if image.format == "JPEG":
                image.draft("RGB", (LONG_EDGE, LONG_EDGE))  # decode at a fraction of the size
            image.load()
            # Shrunk before any copy is made (turning, flattening): one full-size image at most.
            image.thumbnail((LONG_EDGE, LONG_EDGE))
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        raise _refuse(
            _("This file is not a photo we can open; send a JPEG, PNG or WebP.")
        ) from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return Photo(out.getvalue(), image.width, image.height)


THUMBNAIL_EDGE = 320


def thumbnail(photo: Photo, edge: int = THUMBNAIL_EDGE) -> bytes:
    """A small JPEG of a cleaned photo, for lists and side-by-side pages."""
    image = Image.open(io.BytesIO(photo.data))
    image.thumbnail((edge, edge))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


BASE64_MAX = MAX_BYTES * 4 // 3 + 4  # the longest base64 text of a photo we accept


def from_base64(text: str) -> bytes:
    """A photo sent base64-encoded in the API's JSON."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        raise _refuse(_("Send the photo base64-encoded.")) from None
