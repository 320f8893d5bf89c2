"""PDF pages for the documents glabella prints (a signed consent, a treatment note): text laid
out top to bottom on US Letter pages, with a footer, on the PDF standard Helvetica fonts.

Built with pydyf (pure Python, no system libraries); the standard fonts are in every reader, so
nothing is embedded. Text is set in WinAnsi (Windows-1252): a character outside it prints as "?".
"""

from __future__ import annotations

import io

import pydyf

from glabella.core import brand

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


class Pages:
    """Lays lines out top to bottom, starting a new page when one is full."""

    def __init__(self, title: str, footer: str):
        self.document = pydyf.PDF()
        self.fonts = {}
        for name, base in (("F1", "/Helvetica"), ("F2", "/Helvetica-Bold")):
            font = pydyf.Dictionary(
                {
                    "Type": "/Font",
                    "Subtype": "/Type1",
                    "BaseFont": base,
                    "Encoding": "/WinAnsiEncoding",
                }
            )
            self.document.add_object(font)
            self.fonts[name] = font
        self.document.info["Title"] = pydyf.String(title.encode("cp1252", "replace"))
        self.brand = brand.current()
        self.document.info["Producer"] = pydyf.String(b"glabella")
        self.document.info["Author"] = pydyf.String(self.brand.name.encode("cp1252", "replace"))
        # Every page's footer names the clinic and its phone.
        self.footer = f"{self.brand.letterhead} - {footer}" if self.brand.letterhead else footer
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
            self.show(MARGIN, self.y, line, font, size)
        self.y -= gap

    def show(self, x, y, text, font="F1", size=10.5) -> None:
        """One line at (x, y) on the current page."""
        s = self.stream
        s.begin_text()
        s.set_font_size(font, size)
        s.move_text_to(x, y)
        s.show_text_string(text.encode("cp1252", "replace"))
        s.end_text()

    def finish(self) -> None:
        total = len(self.streams)
        resources = pydyf.Dictionary(
            {"Font": pydyf.Dictionary({name: f.reference for name, f in self.fonts.items()})}
        )
        for number, stream in enumerate(self.streams, 1):
            self.stream = stream
            self.show(MARGIN, MARGIN - 10, f"{self.footer} - page {number} of {total}", "F1", 8)
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

    def bytes(self) -> bytes:
        self.finish()
        out = io.BytesIO()
        self.document.write(out, identifier=True)
        return out.getvalue()
