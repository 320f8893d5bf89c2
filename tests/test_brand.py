"""The clinic's brand (issue 19): its name on every page's title and top bar, its colors in a
stylesheet the CSP allows, its sender and phone on every email, its name and phone on PDFs."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from glabella.clinic.models import Organisation
from glabella.core import brand, pdf
from glabella.messaging import delivery
from glabella.messaging.models import Message


@pytest.fixture
def org(clinic):
    org = Organisation.objects.order_by("id").first()
    org.name = "Seaside Skin Studio"
    org.phone = "+18055550199"
    org.sender_name = "Seaside Skin"
    org.sender_email = "care@seaside.example"
    org.main_color = "#1d4e89"
    org.text_color = "#fffff0"
    org.save()
    return org


def test_every_page_names_the_clinic_and_links_its_colors(org, client, client_for):
    for c, name in [
        (client, "portal:home"),
        (client, "scheduling:book"),
        (client_for("front_desk"), "clinic:overview"),
    ]:
        html = c.get(reverse(name)).content.decode()
        title = html.split("<title>")[1].split("</title>")[0]
        assert "Seaside Skin Studio" in title and "glabella" not in title, title
        assert 'class="brand"' in html and "Seaside Skin Studio</a>" in html
        assert "/brand.css?v=1d4e89fffff0" in html
    css = client.get(reverse("clinic:brand-css") + "?v=1d4e89fffff0")
    assert css["Content-Type"].startswith("text/css")
    assert "--accent: #1d4e89;" in css.content.decode()
    assert "--accent-ink: #fffff0;" in css.content.decode()
    # A file from the app's own origin, so the strict CSP (style-src 'self') lets it in.
    assert "style-src 'self';" in css["Content-Security-Policy"]


def test_without_the_clinic_answering_the_product_name_stands(db):
    from glabella.clinic.receivers import clinic_brand
    from glabella.core.signals import brand_requested

    assert brand.current().name == "Conejo Aesthetic Medicine"
    brand_requested.disconnect(clinic_brand)
    try:
        assert brand.current() == brand.Brand() and brand.current().name == "glabella"
        assert brand.current().from_email == "glabella <no-reply@localhost>"
    finally:
        brand_requested.connect(clinic_brand)


def test_emails_come_from_the_clinic_and_carry_its_phone(org, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = Message.objects.create(
        channel="email",
        to="grace@example.com",
        topic="booking",
        subject="Your visit",
        body="See you on Tuesday.\n",
        status=Message.Status.QUEUED,
    )
    assert delivery.deliver_message(message.pk, worker="w") == "sent"
    (sent,) = mail.outbox
    assert sent.from_email == "Seaside Skin <care@seaside.example>"
    assert sent.body.startswith("See you on Tuesday.")
    assert sent.body.rstrip().endswith("Seaside Skin Studio\n(805) 555-0199")


def test_an_invitation_comes_from_the_clinic(org, client_for, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = client_for("owner")
    data = {"email": "new.rn@example.com", "full_name": "Nia Park", "role": "front_desk"}
    assert owner.post(reverse("clinic:team-invite"), data).status_code == 302
    (sent,) = mail.outbox
    assert sent.from_email == "Seaside Skin <care@seaside.example>"
    assert sent.subject == "Your Seaside Skin Studio account"
    assert "(805) 555-0199" in sent.body


def test_pdfs_carry_the_clinic_name_and_phone(org):
    pages = pdf.Pages("A document", "Document 1")
    pages.text("Hello")
    text = PdfReader(io.BytesIO(pages.bytes())).pages[0].extract_text()
    assert "Seaside Skin Studio" in text and "(805) 555-0199" in text
    assert brand.current().letterhead == "Seaside Skin Studio · (805) 555-0199"
