"""Every page a patient sees, in Spanish, in Chromium (issue 21, acceptance point 1).

The demo clinic's portal patient (Grace Holloway) reads Spanish, and its history is loaded. An
anonymous visitor starts at /es/ and at the Spanish pages a message links to (forms, check-in,
manage, movement, book again); Grace starts at her portal in Spanish. Each follows every
same-site link (tests/support/crawl.py, GET only, bounded), and every HTML page found is opened
in Chromium, where it must say `lang="es"`, pass axe-core (no serious or critical WCAG 2.1 A/AA
violation), and show no English (nor may a PDF found on the way): no sentence of the English
catalogue (the msgids of every .po) and no line that reads as English (two or more English-only
words such as "the", "your", "with"), names, addresses and brand names aside.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.browser.conftest import audit_page
from tests.support.crawl import crawl, text_of

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
# Words of English with no Spanish homograph: a line with two of them is English.
ENGLISH_ONLY = frozenset(
    [
        "the",
        "your",
        "you",
        "and",
        "with",
        "for",
        "this",
        "that",
        "please",
        "our",
        "will",
        "what",
        "when",
        "have",
        "are",
        "from",
        "here",
        "about",
        "after",
        "before",
        "we",
        "is",
        "to",
        "of",
        "or",
        "on",
        "it",
        "can",
        "may",
        "not",
        "yet",
        "been",
        "was",
        "were",
        "would",
        "should",
    ]
)
# Names a Spanish page rightly shows as they are (brands, product names, places).
AS_THEY_ARE = ("Thousand Oaks", "BOTOX Cosmetic", "Dysport", "Xeomin", "Jeuveau", "Daxxify")


def catalogue_sentences() -> set[str]:
    """The English of every catalogue entry translated to something else, as the fragments a
    page can show whole: cut at placeholders and tags, kept when two words or more."""
    from babel.messages.pofile import read_po

    found = set()
    for po in (ROOT / "glabella").glob("**/locale/es/LC_MESSAGES/django.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not message.id or ids[0] == strings[0]:
                    continue
                for msgid in ids:
                    for piece in re.split(r"%\(\w+\)s|%s|<[^>]+>|\{\w*\}", msgid):
                        piece = piece.strip(" .,:;()")
                        if len(piece) >= 12 and " " in piece:
                            found.add(piece)
    return found


def english_left(text: str, sentences: set[str]) -> list[str]:
    """The lines of a page's text that are still English."""
    left = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        bare = line
        for name in AS_THEY_ARE:
            bare = bare.replace(name, "")
        words = {w.lower() for w in re.findall(r"[A-Za-z]+", bare)}
        if len(words & ENGLISH_ONLY) >= 2:
            left.append(line)
            continue
        left += [f"{line}  <- {s!r}" for s in sentences if s in line]
    return left


def test_the_english_detector_finds_english_and_leaves_spanish_alone():
    sentences = {"Book a consultation"}
    assert english_left("Book a consultation\nReserve una consulta", sentences) == [
        "Book a consultation  <- 'Book a consultation'"
    ]
    assert english_left("Check your details before you sign", set()) != []
    spanish = "Revise sus datos antes de firmar\nBOTOX Cosmetic, 20 unidades"
    assert english_left(spanish, set()) == []


def _spanish(name: str, **kwargs) -> str:
    with translation.override("es"):
        return reverse(name, kwargs=kwargs)


def test_every_page_a_patient_sees_is_spanish_in_chromium(
    browser, live_server, audited, clinic, patient
):
    from tests.test_audit_walk import demo_objects, load_demo

    patient.language = "es"  # before the demo's history: her forms and texts in Spanish
    patient.save(update_fields=["language"])
    load_demo()
    patient.refresh_from_db()
    objects = demo_objects(patient, clinic)
    visitor = Client(raise_request_exception=False)
    grace = Client(raise_request_exception=False)
    grace.force_login(patient.user)
    seeds = {
        "visitor": (
            visitor,
            [
                _spanish("portal:home"),
                _spanish("screening:forms", token=objects["<forms>"]),
                _spanish("scheduling:manage", token=objects["<manage>"]),
                _spanish("aftercare:check-in", token=objects["<check-in>"]),
                _spanish("outcomes:movement", token=objects["<movement>"]),
                _spanish("outcomes:book-again", token=objects["<invitation>"]),
            ],
        ),
        "patient": (grace, [_spanish("portal:me")]),
    }
    sentences = catalogue_sentences()
    problems, seen = [], {}
    for persona, (client, start) in seeds.items():
        _found, urls = crawl(client, start, limit=150, within="/es/")
        pages = [u for u in urls if u.startswith("/es/")]
        seen[persona] = pages
        context = audited.context
        context.clear_cookies()
        if persona == "patient":
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": grace.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        for url in pages:
            kind = client.get(url).get("Content-Type", "")
            if kind.startswith("application/pdf"):  # a document she receives: Spanish too
                text, _links = text_of(client.get(url))
                for line in english_left(text, sentences):
                    problems.append(f"{persona} {url}: English: {line}")
            if not kind.startswith("text/html"):
                continue
            response = audited.goto(live_server.url + url)
            if response.status >= 500:
                problems.append(f"{persona} {url}: {response.status}")
                continue
            lang = audited.get_attribute("html", "lang")
            if lang != "es":
                problems.append(f"{persona} {url}: lang={lang!r}")
            for violation in audit_page(audited):
                problems.append(f"{persona} {url}: axe {violation}")
            for line in english_left(audited.inner_text("body"), sentences):
                problems.append(f"{persona} {url}: English: {line}")
    print({p: len(u) for p, u in seen.items()}, *sorted(problems), sep="\n")
    assert len(seen["visitor"]) >= 15 and len(seen["patient"]) >= 6, seen
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
