"""What people type or upload cannot turn into a formula, a reversed name or a memory bomb
(decision 0026)."""

import csv
import io
import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from glabella.aftercare import photos
from glabella.core.errors import ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.text import INVISIBLE_FORMATTING_MESSAGE, csv_cell, has_invisible_formatting
from glabella.patients.models import Patient
from glabella.treatments import recall
from tests.conftest import clinic_today

# ------------------------------------------------------------------ CSV cells


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+18055550177", "+18055550177"),  # a phone in E.164 is a plain number
        ("-2.5", "-2.5"),
        ("Grace Holloway", "Grace Holloway"),
        (None, ""),
    ],
)
def test_a_cell_that_would_start_a_formula_is_written_as_text(value, written):
    assert csv_cell(value) == written


def test_the_recall_csv_escapes_every_cell():
    treated = [
        recall.Treated(
            patient_id=1,
            patient_public_id=uuid.uuid4(),
            name='=HYPERLINK("http://evil.example","Grace") Holloway',
            phone="+18055550177",
            email="@grace@example.com",
            treated_on=date(2026, 3, 1),
            areas={"=glabellar": Decimal(20)},
            units=Decimal(20),
        )
    ]
    rows = list(csv.reader(io.StringIO(recall.recall_csv(treated))))
    name, phone, email, _, _, areas = rows[1]
    assert name.startswith("'=HYPERLINK(")
    assert phone == "(805) 555-0177"  # as people read it: no leading + for a formula
    assert email == "'@grace@example.com"
    assert areas.startswith("'=glabellar")
    for cell in rows[1]:
        assert not cell.startswith(("=", "@", "\t", "\r")) and not cell.startswith("+SUM")


@pytest.mark.django_db
def test_the_recall_page_export_escapes_a_formula_typed_as_a_name(client_for, treated):
    Patient.objects.filter(pk=treated.patient_id).update(given_name="=HYPERLINK(1)")
    lot = treated.vial.lot
    response = client_for("medical_director").get(
        reverse("treatments:recall", args=[lot.public_id]), {"format": "csv"}
    )
    assert response.status_code == 200
    line = response.content.decode().splitlines()[1]
    assert line.startswith("'=HYPERLINK(1) Holloway,")
    assert "no-store" in response["Cache-Control"]


# ------------------------------------------------------------------ names

INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\u00ad",
]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_formatting_is_found(char):
    assert has_invisible_formatting(f"Gr{char}ace")


def test_joiners_that_names_are_spelled_with_are_kept():
    assert not has_invisible_formatting("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")
    assert not has_invisible_formatting("Zoë O'Brien-Núñez")


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["given_name", "family_name", "preferred_name"])
def test_the_api_refuses_a_bidi_override_in_a_name(client_for, patient, field):
    before = Patient.objects.filter(pk=patient.pk).values().get()
    response = client_for("injector").patch(
        f"/api/v1/patients/{patient.public_id}",
        {field: "Grace\u202eyawolloH"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][field] == [INVISIBLE_FORMATTING_MESSAGE]
    assert Patient.objects.filter(pk=patient.pk).values().get() == before


@pytest.mark.django_db
def test_the_staff_form_refuses_a_bidi_override_in_a_name(client_for, patient):
    count = Patient.objects.count()
    response = client_for("front_desk").post(
        reverse("patients:register"),
        {
            "given_name": "Ana\u2066",
            "family_name": "Ruiz",
            "birth_date": "1990-05-01",
            "sex": "female",
            "phone": "805 555 0123",
            "preferred_channel": "sms",
        },
    )
    assert response.status_code == 422
    assert escape(INVISIBLE_FORMATTING_MESSAGE) in response.content.decode()
    assert Patient.objects.count() == count


@pytest.mark.django_db
def test_online_booking_refuses_a_bidi_override_in_a_name(client, clinic):
    from glabella.patients.services import patient_for_online_booking

    with pytest.raises(ValidationFailed) as refused:
        patient_for_online_booking(
            {
                "given_name": "Ana",
                "family_name": "Ruiz\u202e",
                "birth_date": date(1990, 5, 1),
                "email": "ana@example.com",
                "phone": "805 555 0123",
                "postal_code": "91360",
                "preferred_channel": "email",
            },
            today=clinic_today(),
        )
    assert refused.value.fields["family_name"] == [INVISIBLE_FORMATTING_MESSAGE]


@pytest.mark.django_db
def test_a_staff_name_with_a_bidi_override_is_refused(clinic):
    staff = StaffMember.objects.first()
    staff.full_name = "Nina \u202eyeK"
    with pytest.raises(ValidationError) as refused:
        staff.full_clean()
    assert refused.value.message_dict["full_name"] == [INVISIBLE_FORMATTING_MESSAGE]


# ------------------------------------------------------------------ photos


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_a_49_megapixel_png_is_refused_quickly_before_decoding():
    bomb = _png(7000, 7000)
    assert len(bomb) < 200_000  # small on the wire, 49 million pixels inside
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        photos.clean(bomb)
    assert time.perf_counter() - started < 0.5
    assert "too many pixels" in refused.value.fields["photo"][0]


def test_a_photo_within_the_cap_is_kept():
    cleaned = photos.clean(_png(1200, 900))
    assert (cleaned.width, cleaned.height) == (1200, 900)


def test_the_cap_keeps_a_decode_under_100_mb():
    # At most 4 bytes a pixel (RGBA) for the largest photo let through.
    assert photos.MAX_PIXELS * 4 < 100 * 2**20


@pytest.mark.django_db
def test_the_clinical_photo_api_refuses_a_49_megapixel_png(client_for, treated):
    import base64

    from glabella.outcomes.models import Photo

    before = Photo.objects.count()
    response = client_for("injector").post(
        f"/api/v1/outcomes/patients/{treated.patient.public_id}/photos",
        {
            "treatment": str(treated.public_id),
            "view": "rest",
            "taken_on": clinic_today().isoformat(),
            "photo": base64.b64encode(_png(7000, 7000)).decode(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert "too many pixels" in response.json()["error"]["fields"]["photo"][0]
    assert Photo.objects.count() == before


def test_a_photo_with_characters_outside_base64_is_refused_on_its_field():
    for text in ("\U00048cc2", "ab\u00e9=", "not base64!"):
        with pytest.raises(ValidationFailed) as refused:
            photos.from_base64(text)
        assert "photo" in refused.value.fields
