"""PDF pages for the documents glabella prints (a signed consent, a treatment note, a receipt, a
MedWatch draft, a patient's records): text laid out top to bottom on US Letter pages, a footer
on every page naming the clinic and "page N of M", and a few drawn shapes (lines, rectangles,
ellipses) in colors.

Built with fpdf2 on DejaVu Sans and DejaVu Sans Bold, shipped in `fonts/` and embedded (only
the letters a document uses), so a name prints as it is written: accents, Vietnamese, Greek,
Cyrillic. A character the font lacks prints as "?". Every word is text in the PDF (a reader
can search and copy it, and pypdf reads it back). This module is the one place that knows the
PDF library; its coordinates are points from the page's bottom left corner, as in PDF itself
(y grows upwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

from django.utils import timezone, translation
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.drawing import DeviceRGB
from fpdf.enums import StrokeCapStyle, StrokeJoinStyle

from glabella.core import brand

PAGE_W, PAGE_H = 612, 792  # US Letter, in points
MARGIN = 60
TEXT_W = PAGE_W - 2 * MARGIN

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "dejavu"
# The two faces a document uses: regular ("F1") and bold ("F2"), with their files and styles.
FONTS = {"F1": ("", "DejaVuSans.ttf"), "F2": ("B", "DejaVuSans-Bold.ttf")}

Color = tuple[float, float, float]  # red, green, blue, each from 0 to 1
BLACK: Color = (0, 0, 0)


@cache
def _widths(font: str) -> dict[int, int]:
    """The face's advance width of every character it has, in thousandths of the font size,
    rounded as fpdf2 rounds them."""
    face = TTFont(FONT_DIR / FONTS[font][1], lazy=True)
    scale = 1000 / face["head"].unitsPerEm
    advances = face["hmtx"].metrics
    return {
        code: round(advances[glyph][0] * scale + 0.001)
        for code, glyph in face.getBestCmap().items()
    }


def printable(text: str, font: str = "F1") -> str:
    """The text as it prints: a character the font lacks becomes "?"."""
    widths = _widths(font)
    return "".join(c if ord(c) in widths else "?" for c in text)


def _units(text: str, font: str) -> int:
    widths = _widths(font)
    unknown = widths[ord("?")]
    return sum(widths.get(ord(c), unknown) for c in text)


def text_width(text: str, font: str, size: float) -> float:
    return _units(text, font) * size / 1000


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than `width`; a word longer than a line is cut."""

    def fits(units: int) -> bool:
        return units * size / 1000 <= width

    space = _units(" ", font)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for word in paragraph.split(" "):
            units = _units(word, font)
            wider = used + space + units if line else units
            if fits(wider):
                line, used = (f"{line} {word}" if line else word), wider
                continue
            if line:
                lines.append(line)
            while not fits(units):
                cut = len(word)
                while cut > 1 and not fits(_units(word[:cut], font)):
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                units = _units(word, font)
            line, used = word, units
        lines.append(line)
    return lines


def _rgb(color: Color) -> DeviceRGB:
    return DeviceRGB(*color)


class Pages:
    """Lays lines out top to bottom, starting a new page when one is full, and draws shapes.

    `created` is the document's creation date in its metadata (now unless given): the same
    content with the same date gives the same bytes."""

    def __init__(self, title: str, footer: str, *, created: datetime | None = None):
        pdf = FPDF(unit="pt", format=(PAGE_W, PAGE_H))
        pdf.set_auto_page_break(False)
        for style, file in FONTS.values():
            pdf.add_font(FAMILY, style, FONT_DIR / file)
        self.brand = brand.current()
        pdf.set_title(title)
        pdf.set_author(self.brand.name)
        pdf.set_producer("glabella")
        pdf.set_lang(translation.get_language() or "en")
        pdf.set_creation_date(created or timezone.now())
        self.pdf = pdf
        # Every page's footer names the clinic and its phone.
        self.footer = f"{self.brand.letterhead} - {footer}" if self.brand.letterhead else footer
        self.y = 0.0
        self._new_page()

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.y = PAGE_H - MARGIN

    def room(self, height: float) -> None:
        if self.y - height < MARGIN + 20:
            self._new_page()

    def text(self, text: str, *, font="F1", size=10.5, leading=None, gap=0.0) -> None:
        leading = leading or size * 1.35
        for line in wrap(printable(text, font), font, size, TEXT_W):
            self.room(leading)
            self.y -= leading
            self.show(MARGIN, self.y, line, font, size)
        self.y -= gap

    def show(self, x, y, text, font="F1", size=10.5) -> None:
        """One line at (x, y), the left end of its baseline, on the current page."""
        style, _ = FONTS[font]
        self.pdf.set_font(FAMILY, style, size)
        self.pdf.text(x, PAGE_H - y, printable(text, font))

    # Shapes: stroked in `color` (None: not stroked) `line_width` points wide, filled with `fill`
    # (None: not filled).

    def line(
        self, points: Sequence[tuple[float, float]], *, line_width=1.0, color=BLACK, rounded=False
    ) -> None:
        """A line through the points; `rounded` ends and corners (a pen's stroke). A single
        point is a dot half a point long, so that it shows."""
        if not points:
            return
        if len(points) == 1:
            (x, y), *_ = points
            points = [(x, y), (x + 0.5, y)]
        cap = StrokeCapStyle.ROUND if rounded else StrokeCapStyle.BUTT
        join = StrokeJoinStyle.ROUND if rounded else StrokeJoinStyle.MITER
        with self.pdf.local_context(
            line_width=line_width,
            draw_color=_rgb(color),
            stroke_cap_style=cap,
            stroke_join_style=join,
        ):
            self.pdf.polyline([(x, PAGE_H - y) for x, y in points], style="D")

    def rectangle(
        self, x, y, width, height, *, line_width=1.0, color: Color | None = BLACK, fill=None
    ) -> None:
        """A rectangle whose bottom left corner is (x, y)."""
        with self._painting(line_width, color, fill) as style:
            self.pdf.rect(x, PAGE_H - y - height, width, height, style=style)

    def ellipse(
        self, cx, cy, rx, ry, *, line_width=1.0, color: Color | None = BLACK, fill=None
    ) -> None:
        """An ellipse centred on (cx, cy), reaching `rx` across and `ry` up from its centre."""
        with self._painting(line_width, color, fill) as style:
            self.pdf.ellipse(cx - rx, PAGE_H - cy - ry, 2 * rx, 2 * ry, style=style)

    @contextmanager
    def _painting(self, line_width: float, color: Color | None, fill: Color | None):
        """The graphics state of one shape (line width, stroke and fill colors), undone after;
        yields how the shape is painted: "D" stroked, "F" filled, "DF" both."""
        style = ("D" if color is not None else "") + ("F" if fill is not None else "")
        if not style:
            raise ValueError("A shape needs a stroke color, a fill or both.")
        settings = {"line_width": line_width}
        if color is not None:
            settings["draw_color"] = _rgb(color)
        if fill is not None:
            settings["fill_color"] = _rgb(fill)
        with self.pdf.local_context(**settings):
            yield style

    def finish(self) -> None:
        """Writes every page's footer, now that the number of pages is known."""
        total = self.pdf.pages_count
        for number in range(1, total + 1):
            self.pdf.page = number
            self.pdf.current_font_is_set_on_page = False  # each page's stream names its font
            self.show(MARGIN, MARGIN - 10, f"{self.footer} - page {number} of {total}", "F1", 8)

    def bytes(self) -> bytes:
        self.finish()
        return bytes(self.pdf.output())
