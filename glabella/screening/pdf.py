"""The PDF of a signed consent: the exact text signed, who signed it, when, from where, the
drawn signature as vector strokes, and the SHA-256 of the text.

Built with pydyf (pure Python, no system libraries) on the PDF standard Helvetica fonts, which
every reader has, so nothing is embedded. Text is set in WinAnsi (Windows-1252): a character
outside it prints as "?" in the PDF; the text hash and the database keep the exact Unicode text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pydyf

# Advance widths of Helvetica and Helvetica-Bold for characters 32-126 (Adobe's AFM files), in
# thousandths of the font size; other characters are measured as 556 (the digit width).
_HELVETICA = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]  # fmt: skip
_HELVETICA_BOLD = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
]  # fmt: skip
WIDTHS = {"F1": _HELVETICA, "F2": _HELVETICA_BOLD}

PAGE_W, PAGE_H = 612, 792  # US Letter, in points
MARGIN = 60
TEXT_W = PAGE_W - 2 * MARGIN
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


def text_width(text: str, font: str, size: float) -> float:
    table = WIDTHS[font]
    return sum(table[ord(c) - 32] if 32 <= ord(c) <= 126 else 556 for c in text) * size / 1000


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than `width`; a word longer than a line is cut."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while text_width(word, font, size) > width:
                cut = len(word)
                while cut > 1 and text_width(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class _Pages:
    """Lays lines out top to bottom, starting a new page when one is full."""

    def __init__(self, document: pydyf.PDF, fonts: dict, footer: str):
        self.document, self.fonts, self.footer = document, fonts, footer
        self.streams: list[pydyf.Stream] = []
        self.y = 0.0
        self._new_page()

    def _new_page(self) -> None:
        self.stream = pydyf.Stream()
        self.streams.append(self.stream)
        self.y = PAGE_H - MARGIN

    def room(self, height: float) -> None:
        if self.y - height < MARGIN + 20:
            self._new_page()

    def text(self, text: str, *, font="F1", size=10.5, leading=None, gap=0.0) -> None:
        leading = leading or size * 1.35
        for line in wrap(text, font, size, TEXT_W):
            self.room(leading)
            self.y -= leading
            self._show(MARGIN, self.y, line, font, size)
        self.y -= gap

    def _show(self, x, y, text, font, size) -> None:
        s = self.stream
        s.begin_text()
        s.set_font_size(font, size)
        s.move_text_to(x, y)
        s.show_text_string(text.encode("cp1252", "replace"))
        s.end_text()

    def signature(self, strokes: list) -> None:
        width, height = SIGNATURE_BOX
        self.room(height + 10)
        top = self.y - 4
        s = self.stream
        s.set_line_width(0.6)
        s.rectangle(MARGIN, top - height, width, height)
        s.stroke()
        points = [p for stroke in strokes for p in stroke]
        if points:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            span = max(max(xs) - min(xs), max(ys) - min(ys), 1)
            scale = min((width - 20) / span, (height - 20) / span)
            s.set_line_width(1.4)
            s.set_line_cap(1)
            s.set_line_join(1)
            for stroke in strokes:
                for i, (x, y) in enumerate(stroke):
                    px = MARGIN + 10 + (x - min(xs)) * scale
                    py = top - 10 - (y - min(ys)) * scale  # screen y grows downwards
                    (s.move_to if i == 0 else s.line_to)(round(px, 2), round(py, 2))
                if len(stroke) == 1:  # a dot: a tiny line so that it shows
                    s.line_to(round(px + 0.5, 2), round(py, 2))
                s.stroke()
        self.y = top - height - 8

    def finish(self) -> None:
        total = len(self.streams)
        resources = pydyf.Dictionary(
            {"Font": pydyf.Dictionary({name: f.reference for name, f in self.fonts.items()})}
        )
        for number, stream in enumerate(self.streams, 1):
            self.stream = stream
            self._show(MARGIN, MARGIN - 10, f"{self.footer} - page {number} of {total}", "F1", 8)
            self.document.add_object(stream)
            page = pydyf.Dictionary(
                {
                    "Type": "/Page",
                    "Parent": self.document.pages.reference,
                    "MediaBox": pydyf.Array([0, 0, PAGE_W, PAGE_H]),
                    "Contents": stream.reference,
                    "Resources": resources,
                }
            )
            self.document.add_object(page)
            self.document.add_page(page)


def render(record: ConsentRecord) -> bytes:
    document = pydyf.PDF()
    fonts = {}
    for name, base in (("F1", "/Helvetica"), ("F2", "/Helvetica-Bold")):
        font = pydyf.Dictionary(
            {
                "Type": "/Font",
                "Subtype": "/Type1",
                "BaseFont": base,
                "Encoding": "/WinAnsiEncoding",
            }
        )
        document.add_object(font)
        fonts[name] = font
    document.info["Title"] = pydyf.String(record.title.encode("cp1252", "replace"))
    document.info["Producer"] = pydyf.String(b"glabella")
    pages = _Pages(document, fonts, f"Consent {record.consent_id}")
    pages.text(record.clinic, font="F2", size=10, gap=6)
    pages.text(record.title, font="F2", size=16, gap=2)
    pages.text(f"Version {record.version}", size=9, gap=10)
    for paragraph in record.body.strip().split("\n\n"):
        heading, _, rest = paragraph.partition("\n")
        if rest:
            pages.text(heading, font="F2", size=11, gap=1)
            pages.text(rest.replace("\n", " "), gap=8)
        else:
            pages.text(paragraph.replace("\n", " "), gap=8)
    pages.room(200)
    pages.text("Signed", font="F2", size=12, gap=4)
    for label, value in (
        ("Patient", f"{record.patient_name}, born {record.birth_date}"),
        ("Typed name", record.typed_name),
        ("Signed at", f"{record.signed_at:%Y-%m-%d %H:%M %Z}"),
        ("From", f"{record.ip or 'address not known'} ({record.via})"),
        ("Text SHA-256", record.text_sha256),
    ):
        pages.text(f"{label}: {value}", size=9.5)
    if record.method == "drawn":
        pages.text("Drawn signature:", size=9.5, gap=2)
        pages.signature(record.strokes)
    else:
        pages.text(
            "Signature: the patient adopted the typed name above as their signature.", size=9.5
        )
    pages.finish()
    out = io.BytesIO()
    document.write(out, identifier=True)
    return out.getvalue()
