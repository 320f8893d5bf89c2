"""Clinical photos: only under the patient's photo consent, stored without metadata (no place),
served only to clinicians through a logged view; bad uploads refused by field, nothing written."""

import base64
import io

import pytest
from django.urls import reverse
from PIL import Image

from glabella.core.models import AccessLog
from glabella.outcomes import photos
from glabella.outcomes.models import Photo
from glabella.screening.consents import withdraw_consent
from glabella.screening.links import forms_actor
from tests.conftest import clinic_today
from tests.test_permissions import _signed_photo_consent

GPS = 0x8825  # the EXIF pointer to where a photo was taken


def jpeg_with_location(size=(1200, 900)) -> bytes:
    image = Image.new("RGB", size, (200, 160, 140))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: turn 90 degrees
    exif.get_ifd(GPS).update({1: "N", 2: (34.0, 10.0, 30.0), 3: "W", 4: (118.0, 50.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # it does carry a place
    return data


@pytest.fixture
def consented(patient):
    return _signed_photo_consent(patient)


def take(client, patient, treated, data, **fields):
    upload = io.BytesIO(data)
    upload.name = "face.jpg"
    body = {
        "treatment": str(treated.public_id),
        "view": "frown",
        "taken_on": clinic_today().isoformat(),
        "photo": upload,
        **fields,
    }
    return client.post(reverse("outcomes:photos", args=[treated.patient.public_id]), body)


def test_a_photo_is_stored_upright_small_and_without_exif_or_location(
    client_for, patient, treated, consented
):
    response = take(client_for("injector"), patient, treated, jpeg_with_location())
    assert response.status_code == 302
    photo = Photo.objects.get()
    for data in (bytes(photo.data), bytes(photo.thumbnail)):
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert not image.getexif() and b"Exif" not in data and b"PhoneMaker" not in data
    assert (photo.width, photo.height) == (900, 1200)  # turned upright by its orientation
    assert max(Image.open(io.BytesIO(bytes(photo.thumbnail))).size) <= 320
    assert photo.consent == consented and photo.day == 0 and photo.view == "frown"


def test_no_photo_without_the_patients_photo_consent(client_for, patient, treated):
    response = take(client_for("injector"), patient, treated, jpeg_with_location())
    assert response.status_code == 422
    assert b"consent to clinical photographs" in response.content
    assert not Photo.objects.exists()


def test_a_withdrawn_photo_consent_stops_new_photos(client_for, patient, treated, consented):
    withdraw_consent(forms_actor(patient, "link"), consented, reason="Changed my mind", via="link")
    assert take(client_for("injector"), patient, treated, jpeg_with_location()).status_code == 422
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    ("data", "fields", "field", "words"),
    [
        (b"%PDF-1.4 not a photo", {}, "photo", b"not a photo we can open"),
        (b"\xff\xd8" + b"\0" * (15 * 1024 * 1024 + 10), {}, "photo", b"larger than 15 MB"),
        (None, {"view": "sideways"}, "view", b"standard views"),
        (None, {"taken_on": "2999-01-01"}, "taken_on", b"in the future"),
        (None, {"taken_on": "yesterday"}, "taken_on", b"YYYY-MM-DD"),
        (None, {"treatment": "not-a-treatment"}, "treatment", b"Choose the treatment"),
    ],
)
def test_bad_uploads_are_refused_by_field_and_write_nothing(
    client_for, patient, treated, consented, data, fields, field, words
):
    before = AccessLog.objects.filter(object_type="clinical-photo", action="create").count()
    client = client_for("injector")
    response = take(client, patient, treated, data or jpeg_with_location(), **fields)
    assert response.status_code == 422
    assert words in response.content
    assert not Photo.objects.exists()
    assert AccessLog.objects.filter(object_type="clinical-photo", action="create").count() == before


def test_the_api_refuses_a_non_image_and_a_bad_view_by_field(
    client_for, patient, treated, consented
):
    url = reverse("api:add_photo", args=[patient.public_id])
    body = {
        "treatment": str(treated.public_id),
        "view": "frown",
        "taken_on": clinic_today().isoformat(),
        "photo": base64.b64encode(b"GIF89a nonsense").decode(),
    }
    client = client_for("injector")
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 422 and "photo" in response.json()["error"]["fields"]
    response = client.post(url, {**body, "photo": "***"}, content_type="application/json")
    assert response.status_code == 422 and "photo" in response.json()["error"]["fields"]
    response = client.post(url, {**body, "view": "up"}, content_type="application/json")
    assert response.status_code == 422 and "view" in response.json()["error"]["fields"]
    assert not Photo.objects.exists()
    good = base64.b64encode(jpeg_with_location()).decode()
    response = client.post(url, {**body, "photo": good}, content_type="application/json")
    assert response.status_code == 201
    made = response.json()
    assert made["view"] == "frown" and made["width"] == 900
    listed = client.get(reverse("api:list_photos", args=[patient.public_id])).json()
    assert [p["id"] for p in listed] == [made["id"]] and "data" not in listed[0]
    assert client.get(made["thumbnail_url"]).status_code == 200


def test_a_photo_is_served_only_to_clinicians_and_each_view_is_logged(
    client_for, patient, other_patient, treated, consented, django_user_model
):
    take(client_for("injector"), patient, treated, jpeg_with_location())
    photo = Photo.objects.get()
    for name in ("outcomes:photo", "outcomes:thumbnail"):
        url = reverse(name, args=[photo.public_id])
        anonymous = client_for("anonymous").get(url)
        assert anonymous.status_code == 302 and "/sign-in/" in anonymous["Location"]
        assert client_for("front_desk").get(url).status_code == 403
        assert client_for("patient").get(url).status_code == 403  # a patient: no staff pages
        seen = client_for("medical_director").get(url)
        assert seen.status_code == 200 and seen["Content-Type"] == "image/jpeg"
        assert seen["Cache-Control"] == "private, no-store"
    # Another patient signed in to the portal is refused too, and never sees it in the API.
    other_user = django_user_model.objects.create_user("other@example.com", password="pw-12345678")
    other_patient.user = other_user
    other_patient.save()
    client = client_for("anonymous")
    client.force_login(other_user)
    assert client.get(reverse("outcomes:photo", args=[photo.public_id])).status_code == 403
    api = client.get(reverse("api:list_photos", args=[patient.public_id]))
    assert api.status_code in (403, 404)
    assert (
        client_for("front_desk")
        .get(reverse("api:list_photos", args=[patient.public_id]))
        .status_code
        == 403
    )
    # One row per photo served; the page's list of photos is a row of its own (no object id).
    reads = AccessLog.objects.filter(object_type="clinical-photo", action="read").exclude(
        object_id=""
    )
    assert reads.count() == 2 and {r.patient_public_id for r in reads} == {patient.public_id}


def test_side_by_side_puts_the_newest_before_beside_the_afters(patient, treated, consented):
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember

    actor = actor_for(StaffMember.objects.get(role="injector", credential="NP").user)
    today = clinic_today()
    photo = jpeg_with_location((400, 300))
    made = [
        photos.take(actor, treated, view="frown", taken_on=today, raw=photo),
        photos.take(actor, treated, view="smile_left", taken_on=today, raw=photo),
    ]
    pairs = photos.side_by_side(list(photos.listed(actor, patient)))
    assert [(p.view, p.before.pk, p.after) for p in pairs] == [
        ("frown", made[0].pk, ()),
        ("smile_left", made[1].pk, ()),
    ]


def test_a_photo_is_never_changed(patient, treated, consented, client_for):
    take(client_for("injector"), patient, treated, jpeg_with_location())
    photo = Photo.objects.get()
    with pytest.raises(ValueError, match="never changed"):
        photo.save()
