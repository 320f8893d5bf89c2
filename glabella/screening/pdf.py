"""The PDF of a signed consent: the exact text signed, who signed it, when, from where, the
drawn signature as vector strokes, and the SHA-256 of the text. Laid out with `core.pdf`, dated
the moment of signing (the same record prints the same bytes). Its words are in the active
language: the consent service renders it in the language of the text signed
(`speaking(document.language)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from glabella.core import styles
from glabella.core.pdf import MARGIN, TEXT_W, Pages

SIGNATURE_BOX = (TEXT_W, 110)  # the drawn signature is scaled into this box


@dataclass(frozen=True)
class ConsentRecord:
    clinic: str
    title: str
    version: int
    body: str
    patient_name: str
    birth_date: str
    typed_name: str
    method: str  # "drawn" or "typed"
    strokes: list  # [[[x, y], ...], ...], 0-1000 per axis
    signed_at: datetime  # in the clinic's zone
    ip: str
    via: str
    text_sha256: str
    consent_id: str
    medication_guide: str = ""  # the version of the Medication Guide given; "" if none


def draw_signature(pages: Pages, strokes: list) -> None:
    width, height = SIGNATURE_BOX
    pages.room(height + 10)
    top = pages.y - 4
    pages.rectangle(MARGIN, top - height, width, height, line_width=0.6)
    points = [p for stroke in strokes for p in stroke]
    if points:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 1)
        scale = min((width - 20) / span, (height - 20) / span)

        def at(x, y):  # the pad's points into the box; the pad's y grows downwards
            return MARGIN + 10 + (x - min(xs)) * scale, top - 10 - (y - min(ys)) * scale

        for stroke in strokes:
            pages.line([at(x, y) for x, y in stroke], line_width=1.4, rounded=True)
    pages.y = top - height - 8


def render(record: ConsentRecord) -> bytes:
    pages = Pages(
        record.title, _("Consent %(id)s") % {"id": record.consent_id}, created=record.signed_at
    )
    pages.text(record.clinic, font="F2", size=10, gap=6)
    pages.text(record.title, font="F2", size=16, gap=2)
    pages.text(_("Version %(number)s") % {"number": record.version}, size=9, gap=10)
    for paragraph in record.body.strip().split("\n\n"):
        heading, _sep, rest = paragraph.partition("\n")
        if rest:
            pages.room(45)  # a heading starts a page rather than end one without its first lines
            pages.text(heading, font="F2", size=11, gap=1)
            pages.text(rest.replace("\n", " "), gap=8)
        else:
            pages.text(paragraph.replace("\n", " "), gap=8)
    pages.room(200)
    pages.text(_("Signed"), font="F2", size=12, gap=4)
    born = {"name": record.patient_name, "day": styles.day(record.birth_date)}
    where = {"address": record.ip or _("address not known"), "via": record.via}
    for label, value in (
        (_("Patient"), _("%(name)s, born %(day)s") % born),
        (_("Typed name"), record.typed_name),
        (
            _("Signed at"),
            f"{styles.instant(record.signed_at, record.signed_at.tzinfo)} {record.signed_at:%Z}",
        ),
        (_("From"), _("%(address)s (%(via)s)") % where),
        (_("Text SHA-256"), record.text_sha256),
        *(
            ((_("Medication Guide given"), record.medication_guide),)
            if record.medication_guide
            else ()
        ),
    ):
        pages.text(_("%(label)s: %(value)s") % {"label": label, "value": value}, size=9.5)
    if record.method == "drawn":
        pages.text(_("Drawn signature:"), size=9.5, gap=2)
        draw_signature(pages, record.strokes)
    else:
        pages.text(
            _("Signature: the patient adopted the typed name above as their signature."),
            size=9.5,
        )
    return pages.bytes()
