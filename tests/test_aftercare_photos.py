"""A photo with a check-in: only real images are kept, turned upright, scaled down and stripped of
their metadata; stored with the report in one transaction; shown to clinicians only."""

import base64
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from glabella.aftercare import check_ins, photos, reports
from glabella.aftercare.models import CheckIn, Report, ReportPhoto
from glabella.core.errors import ValidationFailed
from glabella.core.models import AccessLog
from tests.test_aftercare import link


def jpeg_with_gps_rotated(width=400, height=300) -> bytes:
    """A camera-style JPEG: stored sideways with an EXIF orientation and a GPS position."""
    image = Image.new("RGB", (width, height), (200, 120, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show upright
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (37.0, 46.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_turned_upright_and_keeps_no_metadata():
    cleaned = photos.clean(jpeg_with_gps_rotated())
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG" and (image.width, image.height) == (300, 400)
    assert (cleaned.width, cleaned.height) == (300, 400)
    assert len(image.getexif()) == 0 and b"PhoneMaker" not in cleaned.data


def test_a_large_photo_is_scaled_down_and_a_transparent_one_gets_a_white_ground():
    big = io.BytesIO()
    Image.new("RGB", (5000, 2500), "blue").save(big, "PNG")
    assert photos.clean(big.getvalue()).width == photos.LONG_EDGE
    clear = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(clear, "PNG")
    pixel = Image.open(io.BytesIO(photos.clean(clear.getvalue()).data)).getpixel((5, 5))
    assert all(channel > 240 for channel in pixel)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not an image at all",
        b"\xff\xd8\xff\xe0" + b"\0" * 100,  # a JPEG's first bytes and nothing of a picture
        b"GIF89a" + b"\0" * 50,
        b"%PDF-1.7\n",
    ],
)
def test_what_is_not_a_photo_is_refused_on_the_photo_field(raw):
    with pytest.raises(ValidationFailed) as failed:
        photos.clean(raw)
    assert list(failed.value.fields) == ["photo"]


def test_a_gif_and_an_oversized_file_are_refused():
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(ValidationFailed) as failed:
        photos.clean(gif.getvalue())
    assert "JPEG, PNG or WebP" in failed.value.fields["photo"][0]
    with pytest.raises(ValidationFailed) as failed:
        photos.clean(b"\xff" * (photos.MAX_BYTES + 1))
    assert "larger than" in failed.value.fields["photo"][0]


def test_a_photo_with_too_many_pixels_is_refused_before_it_is_decoded(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 100)
    small = io.BytesIO()
    Image.new("RGB", (20, 20)).save(small, "PNG")
    with pytest.raises(ValidationFailed) as failed:
        photos.clean(small.getvalue())
    assert "too many pixels" in failed.value.fields["photo"][0]


def test_the_check_in_page_keeps_the_photo_with_the_report_for_clinicians(
    client, treated, client_for
):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    upload = SimpleUploadedFile("eye.jpg", jpeg_with_gps_rotated(), content_type="image/jpeg")
    answer = client.post(
        link(day_one), {"group_self_care": ["bruising"], "severity": "mild", "photo": upload}
    )
    assert answer.status_code == 200
    stored = ReportPhoto.objects.get()
    assert stored.report == Report.objects.get() and stored.patient == treated.patient
    assert b"PhoneMaker" not in bytes(stored.data)

    url = reverse("aftercare:photo", args=[stored.public_id])
    shown = client_for("injector").get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-store"
    assert AccessLog.objects.filter(object_type="aftercare-photo").count() == 1
    for persona in ("front_desk", "patient"):
        assert client_for(persona).get(url).status_code == 403
    follow_up = client_for("medical_director").get(
        reverse("aftercare:follow-up", args=[treated.public_id])
    )
    assert follow_up.status_code == 200 and url.encode() in follow_up.content
    assert b"Bruising" in follow_up.content and b"Self-care (day 1 check-in)" in follow_up.content


def test_a_bad_photo_names_its_field_and_nothing_of_the_report_is_written(client, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    upload = SimpleUploadedFile("eye.jpg", b"this is text", content_type="image/jpeg")
    answer = client.post(link(day_one), {"severity": "mild", "photo": upload})
    assert answer.status_code == 422 and b"not a photo we can open" in answer.content
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()
    day_one.refresh_from_db()
    assert day_one.status == "scheduled"


def test_if_the_photo_cannot_be_stored_the_report_is_not_either(treated, monkeypatch):
    day_one = CheckIn.objects.get(treatment=treated, day=1)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ReportPhoto.objects, "create", broken)
    with pytest.raises(RuntimeError):
        reports.submit(day_one, {}, photo=jpeg_with_gps_rotated())
    assert not Report.objects.exists()
    day_one.refresh_from_db()
    assert day_one.status == "scheduled"


def test_the_api_takes_a_photo_in_base64_and_refuses_what_is_not(client, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_one)}"
    bad = client.post(url, json.dumps({"photo": "###"}), content_type="application/json")
    assert bad.status_code == 422 and "photo" in bad.json()["error"]["fields"]
    not_image = base64.b64encode(b"plain text").decode()
    bad = client.post(url, json.dumps({"photo": not_image}), content_type="application/json")
    assert bad.status_code == 422 and not Report.objects.exists()
    good = base64.b64encode(jpeg_with_gps_rotated(40, 30)).decode()
    done = client.post(url, json.dumps({"photo": good}), content_type="application/json")
    assert done.status_code == 201 and ReportPhoto.objects.get().width == 30


def test_a_request_past_the_size_limit_is_answered_413_in_the_apis_shape(client, treated, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2**20
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    url = f"/api/v1/aftercare/check-ins/{check_ins.check_in_token(day_one)}"
    body = json.dumps({"photo": "A" * (2 * 2**20)})
    answer = client.post(url, body, content_type="application/json")
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    assert not Report.objects.exists()
