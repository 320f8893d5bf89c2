"""PDFs print every name as it is written (issue 21): the embedded DejaVu fonts carry accents,
Vietnamese and the Nordic letters, and pypdf reads the same text back; a character the font
lacks prints as "?"; a signed consent prints the same bytes each time it is rendered."""

import io
from decimal import Decimal

from pypdf import PdfReader

from glabella.billing import invoices, payments, receipts
from glabella.core import pdf
from glabella.screening import pdf as consent_pdf
from glabella.screening.consents import current_documents, sign_consent
from glabella.screening.links import forms_actor
from tests.conftest import make_patient

NAMES = ("María José Núñez", "Nguyễn Thị Minh", "Zoë Ångström")


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_layout_prints_accents_vietnamese_and_nordic_letters_exactly(db):
    pages = pdf.Pages("Names", "Names")
    for name in NAMES:
        pages.text(f"Patient: {name}", gap=2)
        pages.text(name, font="F2", size=14)
    pages.show(pdf.MARGIN, pages.y - 20, f"Shown: {NAMES[1]}", size=8)
    text = text_of(pages.bytes())
    for name in NAMES:
        assert f"Patient: {name}" in text
        assert text.count(name) == 2 + (name == NAMES[1])
    assert "Shown: Nguyễn Thị Minh" in text


def test_a_character_the_font_lacks_prints_as_a_question_mark(db):
    assert pdf.printable("王小明 Zoë") == "??? Zoë"
    pages = pdf.Pages("Names", "Names")
    pages.text("Name: 王小明 (Wang), Ελένη, Юлия")
    assert "Name: ??? (Wang), Ελένη, Юлия" in text_of(pages.bytes())


def test_a_long_name_wraps_by_the_font_s_own_widths(db):
    wide = "Nguyễn Thị Minh " * 12
    lines = pdf.wrap(wide.strip(), "F1", 10.5, pdf.TEXT_W)
    assert len(lines) > 1 and all(pdf.text_width(line, "F1", 10.5) <= pdf.TEXT_W for line in lines)
    assert " ".join(lines) == wide.strip()


def test_a_receipt_prints_the_patient_the_lines_and_the_note_exactly(clinic, actor_of):
    desk = actor_of("front_desk")
    patient = make_patient(given_name="María José", family_name="Núñez", email="mj@example.com")
    invoice = invoices.open_invoice(desk, patient, clinic)
    invoice.lines.create(
        position=0,
        kind="service",
        description="Consultation with Nguyễn Thị Minh",
        quantity=1,
        unit_price=Decimal("80.00"),
        amount=Decimal("80.00"),
    )
    setting = invoices.settings_of(clinic.organisation)
    setting.receipt_note = "Questions about this receipt? Ask Zoë Ångström at the desk."
    setting.save()
    payments.take_payment(desk, invoice, method="cash", amount="80.00")
    invoice.refresh_from_db()
    text = text_of(receipts.receipt_for(desk, invoice))
    assert "Patient: María José Núñez" in text
    assert "Consultation with Nguyễn Thị Minh" in text and "$80.00" in text
    assert "Ask Zoë Ångström at the desk." in text


def test_a_signed_consent_prints_the_name_as_typed_and_the_same_bytes_each_time(clinic):
    patient = make_patient(given_name="María José", family_name="Núñez", email="mj@example.com")
    document = current_documents()["neuromodulator"]
    consent = sign_consent(
        forms_actor(patient, "tablet", "198.51.100.7"),
        patient,
        document,
        typed_name="María José Núñez",
        strokes=[[[10, 10], [300, 120], [520, 40]], [[600, 60]]],
        adopt_typed=False,
        shown_sha256=document.text_sha256,
        via="tablet",
    )
    text = text_of(bytes(consent.pdf))
    assert "Patient: María José Núñez, born" in text
    assert "Typed name: María José Núñez" in text
    record = consent_pdf.ConsentRecord(
        clinic="Clínica Ångström",
        title="Consent",
        version=1,
        body="Nguyễn Thị Minh explained the treatment.",
        patient_name="Zoë Ångström",
        birth_date="1990-02-03",
        typed_name="Zoë Ångström",
        method="drawn",
        strokes=[[[0, 0], [400, 200]]],
        signed_at=consent.signed_at,
        ip="",
        via="Clinic tablet",
        text_sha256="0" * 64,
        consent_id="c1",
    )
    first = consent_pdf.render(record)
    assert consent_pdf.render(record) == first  # dated the moment of signing, not of printing
    text = text_of(first)
    assert "Clínica Ångström" in text and "Nguyễn Thị Minh explained" in text
    assert "Typed name: Zoë Ångström" in text
