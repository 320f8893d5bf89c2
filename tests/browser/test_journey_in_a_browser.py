"""The whole patient journey in Chromium, each step checked by what the person sees.

Rosa, a visitor on her phone (where axe-core checks every page she sees), checks that the
clinic serves her town, books a consultation, gets the confirmation by email (the test's mail
outbox) and answers the health questions. The NP
injector reads the findings and signs the candidacy decision; Rosa signs the consent; the front
desk books the treatment; the injector charts it by clicking on the face chart and signs it,
which draws the units from a vial. Rosa gets her aftercare, answers the day-1 check-in with
trouble swallowing and is told to call 911 while the urgent alert opens on the follow-up board;
at day 14 she records the result; the forecast shows on her timeline and in her portal, and the
invitation back arrives when it is due, with free times with her injector.

The journey is taken twice, in English and in Spanish (issue 21): in Spanish Rosa starts at
/es/, her record keeps Spanish, she reads and signs the clinic's Spanish consent (its language
and hash are kept with her signature), her day-1 report is a red flag written in Spanish with
no box ticked, and the invitation back links to a Spanish page; every page she sees is checked
for English left (tests/browser/test_spanish_in_a_browser.py's detector).

Messages are delivered as the worker would deliver them: released when due, then sent through
Django's email backend into the outbox that the test reads. Screenshots of the key pages go to
docs/screenshots/ on every run, so the README's pictures stay current.

The clinic's zone is set so that it is 9 in the morning there, and it opens, with its clinicians
working extra hours, from 7:00 to 21:00 today, so that the consultation and the treatment can
both be today whatever the time and the day CI runs.
"""

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from glabella.aftercare.models import Alert, CheckIn, Report
from glabella.clinic.models import OpeningHours
from glabella.core.models import StaffMember
from glabella.demo.spanish_consents import publish_spanish_consents
from glabella.inventory import services as stock
from glabella.messaging.delivery import deliver_message, release_due
from glabella.messaging.models import Message
from glabella.outcomes import invitations
from glabella.outcomes.models import Forecast
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment, ScheduleException
from glabella.screening import consents
from glabella.screening.models import CandidacyDecision, IntakeResponse, SignedConsent
from glabella.treatments.models import TreatmentRecord
from tests.browser.conftest import looks_right, pass_the_second_step, watched_page
from tests.browser.test_forms_in_a_browser import QUESTIONS
from tests.browser.test_spanish_in_a_browser import catalogue_sentences, english_left
from tests.conftest import STAFF_EMAILS, receive_lot

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "glabella-demo"


def zone_where_it_is_nine() -> str:
    """An IANA zone (Etc/GMT±n) in which the time now is 9 o'clock."""
    offset = 9 - timezone.now().hour
    offset = offset + 24 if offset < -12 else offset - 24 if offset > 14 else offset
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"


def deliver(now=None) -> list:
    """What the worker does: release what is due, send what is queued; the emails sent."""
    before = len(mail.outbox)
    release_due(now or timezone.now())
    for pk in Message.objects.filter(status=Message.Status.QUEUED).values_list("pk", flat=True):
        deliver_message(pk, worker="journey", now=now)
    return mail.outbox[before:]


# What each page says, in each language the journey is taken in.
SAYS = {
    "en": {
        "home": "/",
        "headline": "Wrinkle-relaxing treatment with botulinum toxin",
        "we serve": "Yes, we serve Camarillo.",
        "from": "From {clinic}",
        "book at": "Book a consultation at {clinic}",
        "booked": "You are booked.",
        "answers sent": "your answers are with the clinic",
        "read and sign": "Read and sign",
        "signed online": "Signed online on",
        "call 911": "Call 911 now",
        "thank you": "Thank you",
        "hello": "Hello, Rosa",
        "wears off": "likely to wear off around",
        "next visit": "Your next visit, Rosa",
        "with injector": "with {injector}",
    },
    "es": {
        "home": "/es/",
        "headline": "Tratamiento con toxina botulínica para relajar las arrugas",
        "we serve": "Sí, atendemos a pacientes de Camarillo.",
        "from": "Desde {clinic}",
        "book at": "Hacer una cita de consulta en {clinic}",
        "booked": "Su cita está reservada.",
        "answers sent": "la clínica ya tiene sus respuestas",
        "read and sign": "Leer y firmar",
        "signed online": "Firmado en línea el",
        "call 911": "Llame al 911 ahora",
        "thank you": "Gracias",
        "hello": "Hola, Rosa",
        "wears off": "Es probable que el efecto de su tratamiento",
        "next visit": "Su próxima cita, Rosa",
        "with injector": "con {injector}",
    },
}
# Her day-1 report in Spanish, in her own words only (no box ticked): a red flag, urgent.
SPANISH_RED_FLAG = "Desde anoche casi no puedo tragar y siento la lengua pesada"


def path_of(link: str) -> str:
    """The path of a link in a message (its language prefix kept), to open on the test server."""
    return urlsplit(link).path


def link_in(emails, pattern: str) -> str:
    for email in emails:
        found = re.search(pattern, email.body)
        if found:
            return found.group(0)
    raise AssertionError(f"no {pattern} in {[e.subject for e in emails]}")


def open_when_due(phone, url: str, check_in) -> None:
    """The check-in's message, sent when it is due, and its link opened on the phone."""
    link = link_in(deliver(check_in.due_at + timedelta(minutes=1)), r"https?://\S+/check-in/\S+/")
    phone.goto(url + path_of(link))


def shot(page, name: str) -> None:
    """The screen as the person sees it (a staff page whole), small enough to keep in git."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide = page.viewport_size["width"] > 800
    page.screenshot(path=str(SHOTS / f"{name}.jpg"), full_page=wide, type="jpeg", quality=70)


def staff_page(browser, live_server, who: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, has_touch=True)
    page = watched_page(context, live_server)
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS[who])
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, STAFF_EMAILS[who])
    return page


@pytest.fixture
def clinic_at_nine(clinic, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clinic.time_zone = zone_where_it_is_nine()
    clinic.save()
    today = timezone.now().astimezone(clinic.zone).date()
    clinic.opening_hours.filter(weekday=today.weekday()).delete()
    OpeningHours.objects.create(
        location=clinic, weekday=today.weekday(), opens=time(7), closes=time(21)
    )
    for member in StaffMember.objects.filter(locations=clinic):
        if member.is_clinical:
            ScheduleException.objects.create(
                staff=member,
                location=clinic,
                day=today,
                kind=ScheduleException.Kind.EXTRA,
                starts=time(7),
                ends=time(21),
            )
    return clinic


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_whole_journey(browser, audited, live_server, clinic_at_nine, actor_of, lang):
    says = SAYS[lang]
    english = catalogue_sentences() if lang == "es" else set()

    def seen_right(page, label: str) -> None:
        """What Rosa sees passes axe-core on her phone, and in Spanish has no English left."""
        looks_right(page, label)
        if lang == "es":
            assert english_left(page.inner_text("body"), english) == [], label

    phone = audited  # Rosa's phone, with axe-core in every page she sees
    clinic = clinic_at_nine
    zone = clinic.zone
    url = live_server.url
    if lang == "es":
        publish_spanish_consents()  # the clinic's consent texts in Spanish, as the demo's
    lot = receive_lot(clinic, lot_number="J1")
    vial = stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")

    # ---------------------------------------------------------------- Rosa finds the clinic
    phone.goto(url + says["home"])
    assert phone.locator("h1").inner_text() == says["headline"]
    shot(phone, "public-home" if lang == "en" else "public-home-es")
    phone.fill("#id_area", "Camarillo")
    with phone.expect_navigation():
        phone.click("form[role=search] button")
    assert phone.is_visible(f"text={says['we serve']}")
    assert phone.is_visible("text=" + says["from"].format(clinic=clinic.name))
    seen_right(phone, "service-area answer")

    # ---------------------------------------------------------------- she books a consultation
    with phone.expect_navigation():
        phone.click("text=" + says["book at"].format(clinic=clinic.name))
    phone.wait_for_selector("ul.slots a.button")
    seen_right(phone, "booking times")
    if lang == "en":  # the README's pictures are of the English pages
        shot(phone, "booking")
    with phone.expect_navigation():
        phone.locator("ul.slots a.button").first.click()
    phone.fill("input[name=given_name]", "Rosa")
    phone.fill("input[name=family_name]", "Alvarez")
    phone.fill("input[name=birth_date]", "1988-05-14")
    phone.fill("input[name=email]", "rosa@example.com")
    phone.fill("input[name=phone]", "(805) 555-0199")
    phone.fill("input[name=postal_code]", "93010")
    seen_right(phone, "booking details")
    with phone.expect_navigation():
        phone.click("main form[method=post] button[type=submit]")
    assert phone.is_visible(f"text={says['booked']}"), phone.inner_text("main")
    seen_right(phone, "booked")
    rosa = Patient.objects.get(email="rosa@example.com")
    assert rosa.language == lang  # the booking form's language is the page's unless she changes it
    consultation = Appointment.objects.get(patient=rosa)

    # ---------------------------------------------------------------- the confirmation email
    emails = [e for e in deliver() if e.to == ["rosa@example.com"]]
    confirmation = next(e for e in emails if e.attachments)  # the one with the .ics
    assert consultation.local_start.strftime("%-I:%M") in confirmation.body
    forms_link = link_in(emails, r"https?://\S+/forms/[^/\s]+/")

    # ---------------------------------------------------------------- the intake
    phone.goto(url + path_of(forms_link))
    with phone.expect_navigation():
        phone.click("main a.button.primary")
    for key in QUESTIONS:
        phone.check(f"input[name=q_{key}][value=no]")
    phone.fill("textarea[name=medications]", "Aspirin 81 mg")
    phone.check("input[name=moving_between_brows]")
    seen_right(phone, "intake")
    if lang == "en":  # the README's pictures are of the English pages
        shot(phone, "intake")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert phone.is_visible(f"text={says['answers sent']}")
    seen_right(phone, "forms after the intake")
    assert IntakeResponse.objects.filter(patient=rosa).exists()

    # ---------------------------------------------------------------- the injector decides
    injector = staff_page(browser, live_server, "injector")
    injector.goto(url + reverse("screening:patient", args=[rosa.public_id]))
    assert injector.is_visible("text=Aspirin")  # the finding she will weigh
    injector.goto(url + reverse("screening:sign-decision", args=[rosa.public_id]))
    injector.check("input[name=d_botox_cosmetic__glabellar][value=allow]")
    injector.fill("#decision-secret", PASSWORD)  # signing asks the password (or PIN) again
    with injector.expect_navigation():
        injector.click("text=Sign the decision")
    decision = CandidacyDecision.objects.get(patient=rosa)
    assert any(line.allowed for line in decision.lines.all())

    # ---------------------------------------------------------------- Rosa signs the consent
    phone.goto(url + path_of(forms_link))
    with phone.expect_navigation():
        phone.click(f"a.button.primary:has-text('{says['read and sign']}')")
    phone.fill("input[name=typed_name]", "Rosa Alvarez")
    phone.check("input[name=adopt_typed]")
    phone.check("input[name=medication_guide][value=botox_cosmetic]")  # the guide she was given
    seen_right(phone, "consent")
    with phone.expect_navigation():
        phone.click("#consent-form button[type=submit]")
    assert phone.is_visible(f"text={says['signed online']}")
    seen_right(phone, "forms after the consent")
    signed = SignedConsent.objects.get(patient=rosa, document__kind="neuromodulator")
    assert signed.medication_guide == "botox_cosmetic" and signed.medication_guide_version
    # The text she read is the one whose language and hash are kept with her signature.
    assert signed.language == signed.document.language == lang
    document = signed.document
    shown = consents.text_of(document.title, document.version, document.body, document.language)
    assert signed.text_sha256 == consents.sha256(shown) == document.text_sha256

    # ---------------------------------------------------------------- the desk books the treatment
    desk = staff_page(browser, live_server, "front_desk")
    today = timezone.now().astimezone(zone).date()
    desk.goto(
        url
        + reverse("scheduling:staff-book")
        + f"?location={clinic.slug}&patient={rosa.public_id}&service=neuromodulator&day={today}"
    )
    after = consultation.ends_at + timedelta(minutes=30)
    starts = desk.eval_on_selector_all("ul.slots button", "bs => bs.map(b => b.value)")
    start = next(s for s in starts if datetime.fromisoformat(s) >= after)
    with desk.expect_navigation():
        desk.click(f"ul.slots button[value='{start}']")
    treatment_visit = Appointment.objects.get(patient=rosa, service__slug="neuromodulator")
    desk.goto(url + reverse("scheduling:calendar") + f"?location={clinic.slug}&day={today}")
    assert desk.locator(".appt", has_text="Rosa Alvarez").count() == 2
    if lang == "en":
        shot(desk, "staff-calendar")
    # Rosa arrives for her treatment: the desk checks her in, and charting opens.
    card = desk.locator(".appt", has_text="Rosa Alvarez").filter(has_text="euromodulator")
    with desk.expect_navigation():
        card.locator("button", has_text="Check in").click()
    treatment_visit.refresh_from_db()
    assert treatment_visit.status == "checked_in"

    # ---------------------------------------------------------------- charted on the face chart
    injector.goto(url + reverse("treatments:day") + f"?location={clinic.slug}&day={today}")
    row = injector.locator("form", has=injector.locator(f"#product-{treatment_visit.public_id}"))
    row.locator("select[name=product]").select_option("botox_cosmetic")
    with injector.expect_navigation():
        row.locator("button", has_text="Chart").click()
    injector.select_option("#tap-area", "glabellar")
    chart = injector.locator("#face-chart").bounding_box()
    for dx, dy in ((0.42, 0.33), (0.46, 0.31), (0.5, 0.32), (0.54, 0.31), (0.58, 0.33)):
        injector.mouse.click(chart["x"] + chart["width"] * dx, chart["y"] + chart["height"] * dy)
    expect(injector.locator("#chart-points circle.new")).to_have_count(5)
    # The guard's answer on the points on the screen comes from the server before any save.
    expect(injector.locator("#totals")).to_contain_text("20 U of 20 U on the label")
    expect(injector.locator("#verdict")).to_have_attribute("data-level", "ok")
    injector.select_option("select[name=vial]", str(vial.public_id))
    with injector.expect_navigation():
        injector.click("button[value=save]")
    assert injector.is_visible("text=Dose guard: ok")
    if lang == "en":
        shot(injector, "face-chart")
    injector.fill("#sign-secret", PASSWORD)
    with injector.expect_navigation():
        injector.click("button[value=sign]")
    record = TreatmentRecord.objects.get(appointment=treatment_visit)
    assert record.status == "locked" and record.points.count() == 5
    vial.refresh_from_db()
    assert vial.units_left == 80

    # ---------------------------------------------------------------- aftercare and day 1
    emails = [e for e in deliver() if e.to == ["rosa@example.com"]]
    assert any("aftercare" in e.subject.lower() or "after" in e.subject.lower() for e in emails)
    open_when_due(phone, url, CheckIn.objects.get(treatment=record, day=1))
    if lang == "es":
        phone.fill("textarea[name=free_text]", SPANISH_RED_FLAG)
    else:
        phone.check("input[value=trouble_swallowing]")
        phone.check("input[name=severity][value=severe]")
    seen_right(phone, "day-1 check-in")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert phone.locator("h1").inner_text() == says["call 911"]
    seen_right(phone, "urgent advice")
    alert = Alert.objects.get(patient=rosa)
    assert alert.urgency == "urgent"
    if lang == "es":
        assert Report.objects.get(check_in__treatment=record, check_in__day=1).symptoms == []
    injector.goto(url + reverse("aftercare:board"))
    urgent = injector.locator("section.alert-urgent", has_text="Rosa Alvarez")
    assert urgent.is_visible()
    opened = alert.opened_at.astimezone(zone)  # on the clinic's clock
    reported = f"Reported {opened:%b} {opened.day}, {opened.year}, {opened:%-I:%M %p}"
    assert reported in urgent.inner_text()
    if lang == "en":
        shot(injector, "follow-up-board")

    # ---------------------------------------------------------------- day 14: the result
    day_14 = CheckIn.objects.get(treatment=record, day=14)
    open_when_due(phone, url, day_14)
    phone.check("input[name=effect_shows][value=yes]")
    phone.check("input[name=satisfied][value=yes]")
    seen_right(phone, "day-14 check-in")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert phone.locator("h1").inner_text() == says["thank you"]
    seen_right(phone, "day-14 thanks")
    result = Report.objects.get(check_in=day_14)
    assert result.effect_shows and result.satisfied

    # ---------------------------------------------------------------- the forecast
    forecast = Forecast.objects.get(treatment=record, current=True)
    injector.goto(url + reverse("outcomes:patient", args=[rosa.public_id]))
    wear_off = forecast.wear_off_on
    expect(injector.locator("main p", has_text="Expected to wear off about")).to_contain_text(
        f"{wear_off:%b} {wear_off.day}, {wear_off.year}"
    )
    if lang == "en":
        shot(injector, "patient-timeline")
    with translation.override(lang):
        phone.goto(url + reverse("portal:sign-in"))
    phone.fill("input[name=email]", "rosa@example.com")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    sign_in = link_in(deliver(), r"https?://\S+/portal/sign-in/\S+")
    phone.goto(url + path_of(sign_in))
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert phone.is_visible(f"h1:has-text('{says['hello']}')")
    with translation.override(lang):  # the day as her language writes it
        wear_off_day = formats.date_format(wear_off)
    expect(phone.locator("main p", has_text=says["wears off"])).to_contain_text(wear_off_day)
    seen_right(phone, "portal home")

    # ---------------------------------------------------------------- the invitation back
    noon = datetime.combine(invitations.opens_on(forecast), time(12), tzinfo=zone)
    assert invitations.send_due(noon) == 1
    invitation_link = link_in(deliver(noon), r"https?://\S+/book/again/[^/\s]+/")
    assert path_of(invitation_link).startswith(says["home"])  # in her language
    phone.goto(url + path_of(invitation_link))
    assert phone.locator("h1").inner_text() == says["next visit"]
    assert phone.is_visible(
        "text=" + says["with injector"].format(injector=record.injector.full_name)
    )
    seen_right(phone, "the invitation's times")
    for page in (phone, injector, desk):
        assert page.foreign == []
