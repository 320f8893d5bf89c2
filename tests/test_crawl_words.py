"""Pages speak US English on the clinic's clock (issue 19, acceptance point 2): a crawl.

The demo clinic's history is loaded; each role signs in (owner, medical director, injector, front
desk), the demo patient signs in to the portal, and an anonymous visitor opens the public site
and the pages a patient reaches from a message (forms, check-in, manage, movement, book again).
From its landing page each follows every same-site link breadth-first (GET only, bounded: see
tests/support/crawl.py), staff also every page of a sample of demo patients, and the crawl fails
on a server error or, in the text a person reads (tags, attributes and scripts stripped; a CSV's
cells; a PDF's text), an internal key (snake_case), a source tag, a UTC or ISO timestamp, a phone
not in national format, or a British spelling. The messages the demo sent are read too.
Offences another lane of issue 19 is fixing are listed in tests/support/crawl_allowed.py.
"""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from glabella.messaging.models import Message
from glabella.patients.models import Patient
from tests.support.crawl import crawl, offences, visible_text
from tests.support.crawl_allowed import ALLOWED
from tests.test_audit_walk import demo_objects, load_demo

STAFF = ("owner", "medical_director", "injector", "front_desk")
# Pages of each patient in the sample, beyond the links found on the record.
PATIENT_PAGES = (
    "patients:record",
    "patients:edit",
    "patients:changes",
    "screening:patient",
    "screening:patient-forms",
    "screening:staff-intake",
    "outcomes:patient",
    "outcomes:photos",
)


def _allowed(url: str, offence: str) -> str | None:
    for path, what, _why in ALLOWED:
        if re.search(path, url) and re.search(what, offence):
            return f"{path} | {what}"
    return None


def sample_patients(grace) -> list[Patient]:
    """Grace Holloway (the portal's patient) and three more of the demo's, the same each run."""
    others = Patient.objects.exclude(pk=grace.pk).filter(treatments__isnull=False).distinct()
    return [grace, *others.order_by("family_name", "given_name")[:3]]


def seeds_for(persona: str, objects: dict, sample) -> list[str]:
    # The English addresses: a page under /es/ opened by the crawl before leaves Spanish active
    # in this thread, and reverse() would follow it.
    with translation.override("en"):
        return _seeds_for(persona, objects, sample)


def _seeds_for(persona: str, objects: dict, sample) -> list[str]:
    if persona == "anonymous":
        tokens = (
            ("screening:forms", {"token": objects["<forms>"]}),
            ("scheduling:manage", {"token": objects["<manage>"]}),
            ("aftercare:check-in", {"token": objects["<check-in>"]}),
            ("outcomes:movement", {"token": objects["<movement>"]}),
            ("outcomes:book-again", {"token": objects["<invitation>"]}),
        )
        return ["/", *(reverse(name, kwargs=kw) for name, kw in tokens)]
    if persona == "patient":
        return [reverse("portal:me")]
    pages = [reverse("core:home")]
    for p in sample:
        pages += [reverse(name, kwargs={"public_id": p.public_id}) for name in PATIENT_PAGES]
    return pages


@pytest.fixture
def demo(client_for, clinic, patient):
    load_demo()
    patient.refresh_from_db()
    personas = ("anonymous", "patient", *STAFF)
    clients = {p: client_for(p, raise_request_exception=False) for p in personas}
    return clients, demo_objects(patient, clinic), sample_patients(patient)


def crawl_everyone(clients, objects, sample) -> tuple[list[str], set[str], dict[str, int]]:
    """(offences not allowed, allow-list entries used, URLs opened per persona)."""
    problems, used, opened = [], set(), {}
    ids = [p.public_id for p in sample]
    for persona, client in clients.items():
        found, urls = crawl(client, seeds_for(persona, objects, sample), sample=ids)
        opened[persona] = len(urls)
        print(persona, len(urls), *urls, sep="\n  ")  # shown with -s or on a failure
        for url, offences_here in found.items():
            for offence in offences_here:
                entry = _allowed(url, offence)
                if entry:
                    used.add(entry)
                else:
                    problems.append(f"{persona} GET {url}: {offence}")
    return problems, used, opened


def test_every_page_speaks_us_english_on_the_clinics_clock(demo):
    problems, used, opened = crawl_everyone(*demo)
    assert problems == [], f"{len(problems)} offences:\n" + "\n".join(sorted(set(problems)))
    # The crawl went somewhere: every role's menu leads to many pages.
    assert all(n >= 40 for p, n in opened.items() if p in STAFF), opened
    assert opened["patient"] >= 8 and opened["anonymous"] >= 10, opened
    stale = {f"{p} | {w}" for p, w, _ in ALLOWED} - used
    assert not stale, f"allow-list entries the crawl no longer needs: {sorted(stale)}"


def test_every_message_the_demo_sent_speaks_us_english_on_the_clinics_clock(demo):
    problems = []
    for m in Message.objects.all():
        words = re.sub(r"https?://\S+", "<link>", f"{m.subject}\n{m.body}")  # links: not words
        for offence in offences(words):
            problems.append(f"{m.channel} {m.topic}: {offence}")
    assert Message.objects.count() >= 20
    assert problems == [], f"{len(problems)} offences:\n" + "\n".join(sorted(set(problems)))


def test_visible_text_is_what_a_person_reads():
    shown = visible_text(
        '<html><head><title>Visits</title><script>let a_b = "2026-12-01";</script>'
        '<style>.x_y{}</style></head><body><p title="c_d">Dec 1, <b>2026</b></p>'
        '<input value="2026-12-01"><a href="/x_y/">Open</a></body></html>'
    )
    assert "Visits" in shown and "Dec 1," in shown and "Open" in shown
    assert "_" not in shown and "2026-12-01" not in shown
    assert offences(shown) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Area: lateral_canthal_right", "internal key"),
        ("bleeding_problems", "internal key"),
        ("Source: glabella", "source tag"),
        ("received 2026-12-01", "ISO date"),
        ("booked at 2026-12-01T10:13", "ISO time"),
        ("10:13 UTC", "UTC"),
        ("at 10:13:00+00:00", "UTC"),
        ("call +18055550100", "phone not in national format"),
        ("your licence", "British spelling"),
        ("Labelling", "British spelling"),
        ("the colour", "British spelling"),
        ("was cancelled", "British spelling"),
    ],
)
def test_each_offence_is_named(text, kind):
    assert [o for o in offences(text) if o.startswith(kind)], offences(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dec 1, 2026, 10:13 AM",
        "10:00-11:00 AM",
        "(805) 555-0100",
        "no_reply@example.com",
        "license, labeling, color, canceled",
        "Lot C3709",
    ],
)
def test_what_the_house_writes_is_not_an_offence(text):
    assert offences(text) == []


@pytest.mark.urls("tests.support.wordy_urls")
def test_the_crawl_catches_a_wordy_page_and_a_broken_one(client_for, clinic):
    client = client_for("front_desk", raise_request_exception=False)
    found, opened = crawl(client, ["/staff/clean/"])
    assert "/staff/clean/" not in found, found  # scripts, attributes, links to elsewhere: not read
    assert found["/staff/broken/"] == ["server error 500"]
    kinds = {o.split(":")[0] for o in found["/staff/wordy/"]}
    assert kinds == {
        "internal key",
        "source tag",
        "ISO date",
        "ISO time",
        "UTC",
        "phone not in national format",
        "British spelling",
    }, found["/staff/wordy/"]
    assert opened == ["/staff/clean/", "/staff/wordy/", "/staff/broken/"]  # never elsewhere
